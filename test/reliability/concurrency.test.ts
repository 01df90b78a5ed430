import { queryRows } from '../helpers/engine-db.js';
import { afterEach, describe, expect, it } from 'vitest';
import { sign } from '@octokit/webhooks-methods';
import { makeTestApp, type TestApp, sqliteOf } from '../helpers/app.js';
import { sendJson, startStub, type Stub } from '../helpers/stub-server.js';
import { failedRun } from './server-process.js';

/**
 * 50 clients append to the audit trail through five different routes at once. GitHub
 * answers project look-ups after a random pause, so project creations are suspended
 * mid-request while the other writes go on. Each org must end with one unforked chain
 * holding exactly the entries the requests imply.
 */

const SECRET = 'concurrency-secret';
const CLIENTS = 50;
const ROUNDS = 4;
const ORGS = ['org-north', 'org-south'];

let t: TestApp;
let github: Stub;
afterEach(async () => {
  t.close();
  await github.close();
});

interface Fixture {
  taskAgent: Record<string, string>;
  repo: Record<string, string>;
}

async function setUp(): Promise<Fixture> {
  github = await startStub(async (req, res) => {
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
    const m = /^\/repos\/([^/]+)\/([^/?]+)$/.exec(req.path);
    sendJson(res, m ? 200 : 404, m ? { full_name: `${m[1]}/${m[2]}`, default_branch: 'main' } : { message: 'Not Found' });
  });
  t = await makeTestApp({ env: { GITHUB_TOKEN: 'ghp_test', GITHUB_API_URL: github.url, GITHUB_WEBHOOK_SECRET: SECRET } });
  const fixture: Fixture = { taskAgent: {}, repo: {} };
  for (const orgId of ORGS) {
    await t.api().post('/api/orgs').send({ name: orgId.replace('org-', '') }).expect(201);
    fixture.repo[orgId] = `${orgId}/linked`;
    await t.api().post('/api/projects').set('x-org-id', orgId).send({ repo: fixture.repo[orgId] }).expect(201);
    fixture.taskAgent[orgId] = (await t.api().post('/api/agents').set('x-org-id', orgId).send({ name: 'worker', type: 'task' }).expect(201)).body.id;
  }
  return fixture;
}

type Kind = 'org' | 'action' | 'project' | 'message' | 'webhook';
const KINDS: Kind[] = ['org', 'action', 'project', 'message', 'webhook'];
/** Entries each kind appends to the org it targets (a new org's chain for `org`). */
const ENTRIES: Record<Kind, number> = { org: 1, action: 1, project: 1, message: 1, webhook: 2 };

async function once(f: Fixture, kind: Kind, orgId: string, tag: string): Promise<void> {
  const h = { 'x-org-id': orgId, 'x-actor-id': `client:${tag}` };
  if (kind === 'org') await t.api().post('/api/orgs').send({ name: `Conc ${tag}` }).expect(201);
  if (kind === 'action') await t.api().post(`/api/agents/${f.taskAgent[orgId]}/action`).set(h).send({ action: 'set_autonomy', params: { level: tag.length % 6 } }).expect(200);
  if (kind === 'project') await t.api().post('/api/projects').set(h).send({ repo: `conc/${tag.replace(':', '-')}` }).expect(201);
  if (kind === 'message') await t.api().post('/api/channels/web/messages').set(h).send({ userId: tag, text: `note ${tag}` }).expect(201);
  if (kind === 'webhook') {
    // A different run per delivery: the same body under a new delivery id is a replay.
    const [c, r] = tag.split(':').map(Number) as [number, number];
    const body = JSON.stringify(failedRun(f.repo[orgId]!, c * 1000 + r + 1));
    const res = await t
      .api()
      .post('/webhooks/github')
      .set({ 'content-type': 'application/json', 'x-github-event': 'workflow_run', 'x-github-delivery': `conc-${tag}`, 'x-hub-signature-256': await sign(SECRET, body) })
      .send(body)
      .expect(200);
    expect(res.body.outcomes).toEqual([expect.objectContaining({ outcome: 'notified' })]);
  }
}

describe('concurrent appends through different routes', () => {
  it('leave one unforked chain per org with exactly the expected entries', async () => {
    const f = await setUp();
    const before = Object.fromEntries(ORGS.map((o) => [o, verifyOf(o)]));
    const expected: Record<string, number> = {};
    for (const o of ORGS) expected[o] = (await before[o]!).checked;
    const newOrgs: string[] = [];

    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        const kind = KINDS[c % KINDS.length]!;
        const orgId = ORGS[c % ORGS.length]!;
        for (let r = 0; r < ROUNDS; r++) {
          const tag = `${c}:${r}`;
          if (kind === 'org') newOrgs.push(`org-conc-${c}-${r}`);
          else expected[orgId]! += ENTRIES[kind];
          await once(f, kind, orgId, tag);
        }
      }),
    );

    for (const o of ORGS) expect(await verifyOf(o), o).toEqual({ valid: true, checked: expected[o], brokenAt: null, keyed: false, unkeyed: expected[o] });
    for (const o of newOrgs) expect(await verifyOf(o), o).toEqual({ valid: true, checked: 1, brokenAt: null, keyed: false, unkeyed: 1 });
    // Unforked: chain positions run 1..n with no gap and no repeat in every org.
    const chains = await queryRows<{ org: string; n: number; top: number; uniq: number }>(
      t,
      'SELECT org_id AS org, count(*) AS n, max(chain_seq) AS top, count(DISTINCT chain_seq) AS uniq FROM audit_entries GROUP BY org_id',
    );
    for (const c of chains) expect(c, c.org).toMatchObject({ n: c.top, uniq: c.top });
    const all = await t.api().get('/api/audit/verify').expect(200);
    expect(all.body.valid).toBe(true);
    console.log(`concurrency: ${CLIENTS} clients × ${ROUNDS} requests over 5 routes; ${all.body.checked} entries in ${all.body.orgs.length} verified chains`);
  }, 60_000);
});

async function verifyOf(orgId: string): Promise<{ valid: boolean; checked: number; brokenAt: string | null; keyed: boolean; unkeyed: number }> {
  return (await t.api().get('/api/audit/verify').set('x-org-id', orgId).expect(200)).body;
}
