import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { DASHBOARD_HTML } from './dashboard-page.js';
import { launchChromium, listen, staticPage, type Listening } from './support.js';

interface Agent {
  id: string;
  name: string;
}

let t: TestApp;
let api: Listening;
let dashboard: Listening;
let stranger: Listening;
let browser: Browser;
let context: BrowserContext;
let orgId: string;
let agent: Agent;
let otherOrgAgent: Agent;

async function post<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(api.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  expect(res.status, `POST ${path}`).toBe(201);
  return (await res.json()) as T;
}

beforeAll(async () => {
  // Two static origins: one in CORS_ORIGINS (the dashboard), one not (a stranger's page).
  dashboard = await listen(staticPage(DASHBOARD_HTML));
  stranger = await listen(staticPage(DASHBOARD_HTML));
  t = await makeTestApp({ env: { CORS_ORIGINS: dashboard.origin } });
  api = await listen(t.app);

  orgId = (await post<{ id: string }>('/api/orgs', { name: 'Dashboard Demo' })).id;
  agent = await post<Agent>('/api/agents', { name: 'Nightly fixer', type: 'task' }, { 'x-org-id': orgId });
  otherOrgAgent = await post<Agent>('/api/agents', { name: 'Someone else', type: 'review' });

  browser = await launchChromium();
  context = await browser.newContext();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await Promise.all([api?.close(), dashboard?.close(), stranger?.close()]);
  t?.close();
});

const pageUrl = (site: Listening) => `${site.url}/?${new URLSearchParams({ api: api.url, org: orgId })}`;

describe('a browser dashboard on an origin in CORS_ORIGINS', () => {
  it("lists the org's agents through a preflighted cross-origin fetch", async () => {
    const page = await context.newPage();
    await page.goto(pageUrl(dashboard));
    await page.locator('#status:not([data-state="loading"])').waitFor();

    expect(await page.locator('#status').getAttribute('data-state')).toBe('done');
    expect(await page.locator('#status').textContent()).toBe('200: 1 agent(s)');
    expect(await page.locator('#agents li').allTextContents()).toEqual([`${agent.id} Nightly fixer`]);
    expect(await page.locator(`li[data-id="${otherOrgAgent.id}"]`).count()).toBe(0);
    // Exposed headers are readable from script; unexposed ones would come back null.
    expect(await page.locator('#api-version').textContent()).toBe('v1');
    const requestId = await page.locator('#request-id').textContent();

    const fromDashboard = api.seen.filter((r) => r.origin === dashboard.origin);
    expect(fromDashboard.map((r) => `${r.method} ${r.url} ${r.status}`)).toEqual(['OPTIONS /api/agents 204', 'GET /api/agents 200']);
    expect(fromDashboard[0]?.requestHeaders?.split(',').map((h) => h.trim())).toContain('x-org-id');
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    await page.close();
  });
});

describe('a page on an origin not in CORS_ORIGINS', () => {
  it('cannot read the answer: the preflight is refused and the GET is never sent', async () => {
    const page = await context.newPage();
    const consoleLines: string[] = [];
    page.on('console', (m) => consoleLines.push(m.text()));
    await page.goto(pageUrl(stranger));
    await page.locator('#status:not([data-state="loading"])').waitFor();

    expect(await page.locator('#status').getAttribute('data-state')).toBe('error');
    expect(await page.locator('#status').textContent()).toBe('Error: Failed to fetch');
    expect(await page.locator('#agents li').count()).toBe(0);
    expect(consoleLines.join('\n')).toContain('has been blocked by CORS policy');

    const fromStranger = api.seen.filter((r) => r.origin === stranger.origin);
    expect(fromStranger.map((r) => `${r.method} ${r.url}`)).toEqual(['OPTIONS /api/agents']);
    await page.close();
  });
});
