import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { EVENTS_HTML } from './events-page.js';
import { launchChromium, listen, staticPage, type Listening } from './support.js';

const TOKEN = 'e2e-events-token-for-org-live';
let t: TestApp;
let api: Listening;
let site: Listening;
let browser: Browser;

beforeAll(async () => {
  site = await listen(staticPage(EVENTS_HTML));
  t = await makeTestApp({ env: { CORS_ORIGINS: site.origin, API_TOKENS: `${TOKEN}:org-live,operator-token:*` } });
  api = await listen(t.app);
  await t.api().post('/api/orgs').set('authorization', 'Bearer operator-token').send({ name: 'Live' }).expect(201);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([api?.close(), site?.close()]);
  await t?.close();
});

describe('a browser dashboard following live events with fetch', () => {
  it('shows agent.created from its org soon after the POST, sending the token as Authorization', async () => {
    const page = await browser.newPage();
    await page.goto(`${site.url}/?${new URLSearchParams({ api: api.url, token: TOKEN })}`);
    await page.locator('#status[data-state="live"]').waitFor();
    expect(await page.locator('#status').textContent()).toBe('live (200)');
    const stream = api.seen.find((r) => r.url.startsWith('/api/events'))!;
    expect(stream.origin).toBe(site.origin);

    const other = await fetch(`${api.url}/api/agents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer operator-token' }, body: JSON.stringify({ name: 'Another org', type: 'task' }) });
    expect(other.status).toBe(201);
    const res = await fetch(`${api.url}/api/agents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ name: 'Seen live', type: 'task' }) });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await page.locator(`#agents li[data-id="${id}"]`).waitFor({ timeout: 5_000 });
    // Only this org's agent: the default org's creation never reached the org token's stream.
    expect(await page.locator('#agents li').allTextContents()).toEqual(['Seen live']);
    await page.close();
  });
});
