import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { launchChromium, listen, type Listening } from './support.js';

let t: TestApp;
let api: Listening;
let browser: Browser;

beforeAll(async () => {
  t = await makeTestApp();
  api = await listen(t.app);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  t?.close();
});

/** "GET /api/agents" for every operation the document describes. */
function documented(): string[] {
  const paths = t.openapi.paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
}

/** "GET /api/agents" for every operation block Swagger UI rendered. */
const rendered = (page: Page): Promise<string[]> =>
  page.locator('.opblock').evaluateAll((blocks) =>
    blocks.map((b) => {
      const method = b.querySelector('.opblock-summary-method')?.textContent ?? '';
      const p = b.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '';
      return `${method.toUpperCase()} ${p}`;
    }),
  );

describe('GET /docs in a browser', () => {
  it('renders every documented operation from locally served assets only', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const requested: string[] = [];
    const failed: string[] = [];
    const pageErrors: string[] = [];
    context.on('request', (r) => requested.push(r.url()));
    context.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));

    const expected = documented();
    await page.goto(`${api.url}/docs`);
    // Swagger UI renders client-side after fetching /openapi.json: wait for the last block.
    await page.locator('.opblock').nth(expected.length - 1).waitFor();

    expect((await rendered(page)).sort()).toEqual([...expected].sort());
    expect(expected).toEqual(expect.arrayContaining(['GET /api/agents', 'POST /api/agents', 'GET /api/audit', 'GET /health']));
    const summaries = await page.locator('.opblock-summary-description').allTextContents();
    const agentsSummary = (t.openapi.paths as Record<string, Record<string, { summary: string }>>)['/api/agents']?.get?.summary;
    expect(summaries).toContain(agentsSummary);
    await expect.poll(() => page.locator('.info .title').textContent()).toContain('CodeSpar');

    const dir = process.env.E2E_SCREENSHOT_DIR;
    if (dir) await page.screenshot({ path: path.join(dir, 'codespar-docs.png') });

    // No CDN, no telemetry: every request the page made stayed on the API's own origin.
    const paths = requested.map((u) => new URL(u)).map((u) => (u.origin === api.origin ? u.pathname : u.href));
    expect(paths.filter((p) => !p.startsWith('/'))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(['/docs', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/openapi.json']));
    expect(failed).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
