import { countRows, tableSnapshot } from '../helpers/engine-db.js';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type supertest from 'supertest';
import { makeTestApp, type TestApp, sqliteOf } from '../helpers/app.js';
import type { RouteDef } from '../../src/http/registry.js';
import { OPERATOR_REQUIRED, operatorOnly } from '../../src/http/operator-guard.js';
import { dbSnapshot } from './support.js';

/**
 * Every route of the registry, under both prefixes, with no token, an org-bound token and
 * the operator's `*` token. What each may do comes from one table: the routes the registry
 * marks `access: 'operator'` (operatorOnly), which is also what the guard enforces, so the
 * two cannot drift. A new route joins the matrix by itself; one whose path parameter or
 * body the matrix cannot fill fails below, naming what to add.
 */

const ORG = 'tok-org-5d1e';
const OPS = 'tok-ops-7b2c';
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const UNAUTHORIZED = { error: 'Missing or invalid bearer token', code: 'UNAUTHORIZED', status: 401 };
const FORBIDDEN = { error: OPERATOR_REQUIRED, code: 'FORBIDDEN', status: 403 };
const PREFIXES = ['/api', '/v1/api'];

interface Fixture {
  agentId: string;
  projectId: string;
  memberId: string;
  approvalId: string;
}

function pathFor(def: RouteDef, f: Fixture): string {
  const resource = def.path.split('/')[1];
  return def.path.replace(/:([A-Za-z0-9_]+)/g, (_m, p: string) => {
    if (p === 'id' && resource === 'agents') return f.agentId;
    if (p === 'id' && resource === 'projects') return f.projectId;
    if (p === 'id' && resource === 'orgs') return 'org-alpha';
    if (p === 'identityId') return f.memberId;
    if (p === 'id' && resource === 'approvals') return f.approvalId;
    if (p === 'name' && resource === 'scheduler') return 'build-status-report';
    if (p === 'name' && resource === 'channels') return 'telegram';
    throw new Error(`access matrix: teach pathFor() a value for :${p} in ${def.path}`);
  });
}

const QUERIES: Record<string, string> = {
  'get /memory/search': '?q=hello',
  'get /identity': '?channelType=web&channelUserId=u-1',
  'get /project': '?agentId=x',
};

/** A valid body per write route, so the operator's request gets past validation. */
const BODIES = (f: Fixture, n: number): Record<string, unknown> => ({
  'post /agents': { name: `agent-${n}`, type: 'task' },
  'post /agents/:id/action': { action: 'set_autonomy', params: { level: 2 } },
  'post /project/link': { agentId: f.agentId, repo: 'alpha/other' },
  'post /project/unlink': { agentId: f.agentId },
  'post /projects': { repo: `alpha/repo-${n}` },
  'post /orgs': { name: `Org ${n}` },
  'post /orgs/:id/members': { identityId: f.memberId, role: 'reviewer' },
  'post /channels/web/messages': { userId: `u-${n}`, text: 'hello' },
  'post /channels/configure': { channel: 'telegram', config: { botToken: `123:tok${n}` } },
  'post /identity': { displayName: 'Someone', role: 'read-only', channels: [{ type: 'web', userId: `reg-${n}` }] },
  'post /approvals': { action: 'deploy', description: `approval ${n}`, projectId: f.projectId },
  'post /approvals/:id/vote': { vote: 'approve' },
});

let t: TestApp;
let fixture: Fixture;
let n = 0;

beforeEach(async () => {
  // TELEGRAM_API_URL on a closed loopback port: a reconnect fails fast without leaving the machine.
  t = await makeTestApp({ env: { API_TOKENS: `${ORG}:org-alpha,${OPS}:*`, TELEGRAM_API_URL: 'http://127.0.0.1:9', CHANNEL_CONNECT_TIMEOUT_MS: '500' } });
  await t.api().post('/api/orgs').set(bearer(OPS)).send({ name: 'Alpha' }).expect(201);
  const project = (await t.api().post('/api/projects').set(bearer(ORG)).send({ repo: 'alpha/app' }).expect(201)).body;
  const web = (await t.api().post('/api/channels/web/messages').set(bearer(ORG)).send({ userId: 'member-1', text: 'hi' }).expect(201)).body;
  const approval = (await t.api().post('/api/approvals').set(bearer(ORG)).set('x-actor-id', 'requester').send({ action: 'deploy', description: 'd', quorum: 10 }).expect(201)).body;
  fixture = { agentId: project.agentId, projectId: project.id, memberId: web.identityId, approvalId: approval.id };
});
afterEach(() => t.close());

function request(def: RouteDef, prefix: string, headers: Record<string, string>): supertest.Test {
  const key = `${def.method} ${def.path}`;
  const url = `${prefix}${pathFor(def, fixture)}${QUERIES[key] ?? ''}`;
  const req = (t.api() as unknown as Record<string, (u: string) => supertest.Test>)[def.method]!(url).set(headers);
  if (!def.body) return req;
  const body = BODIES(fixture, n++)[key];
  if (body === undefined) throw new Error(`access matrix: add a sample body for ${key}`);
  return req.send(body as object);
}

/** What the instance looks like from the operator's chair: every table, tasks and channels. */
async function state() {
  const tasks = (await t.api().get('/api/scheduler').set(bearer(OPS)).expect(200)).body;
  const channels = (await t.api().get('/api/channels').set(bearer(OPS)).expect(200)).body;
  return { db: await tableSnapshot(t), tasks, channels };
}

const summary: string[] = [];
afterAll(() => console.log(summary.join('\n')));

describe('access matrix: every route × {no token, org token, operator token} × {/api, /v1/api}', () => {
  it('marks exactly the operator-only routes of the contract in the registry', () => {
    const names = operatorOnly(t.routes).map((d) => `${d.method.toUpperCase()} ${d.path}`).sort();
    expect(names).toEqual(
      [
        'POST /orgs',
        'POST /channels/configure',
        'POST /channels/:name/reconnect',
        'POST /scheduler/:name/pause',
        'POST /scheduler/:name/resume',
        'POST /scheduler/:name/run',
        'DELETE /scheduler/:name',
      ].sort(),
    );
    // The reads org tokens keep.
    for (const path of ['/channels', '/scheduler', '/scheduler/:name', '/agent-types']) {
      expect(t.routes.find((d) => d.method === 'get' && d.path === path)?.access, path).toBeUndefined();
    }
  });

  it('documents the same table in the OpenAPI document, with the new error codes where they apply', () => {
    const paths = t.openapi.paths as Record<string, Record<string, { 'x-access'?: string; description?: string; responses: Record<string, { description: string }> }>>;
    const guarded = new Set(operatorOnly(t.routes));
    for (const def of t.routes) {
      const op = paths[`/api${def.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`]![def.method]!;
      const where = `${def.method} ${def.path}`;
      expect(op['x-access'], where).toBe(guarded.has(def) ? 'operator' : undefined);
      if (guarded.has(def)) expect(op.description, where).toMatch(/Operator token required/);
      expect(op.responses['403']!.description, where).toMatch(/FORBIDDEN/);
      if (def.method !== 'get') expect(op.responses['403']!.description, where).toMatch(/ORIGIN_NOT_ALLOWED/);
      else expect(op.responses['403']!.description, where).not.toMatch(/ORIGIN_NOT_ALLOWED/);
    }
    expect(paths['/api/channels/configure']!.post!.responses['400']!.description).toMatch(/INVALID_URL/);
  });

  it('answers 401 to every route without a token, and changes nothing', async () => {
    const before = await state();
    let checks = 0;
    for (const def of t.routes) {
      for (const prefix of PREFIXES) {
        const res = await request(def, prefix, {});
        expect(res.body, `${def.method} ${prefix}${def.path}`).toEqual(UNAUTHORIZED);
        expect(res.status).toBe(401);
        checks++;
      }
    }
    expect(await state()).toEqual(before);
    summary.push(`access matrix: no token → 401 on ${checks} requests`);
  });

  it('refuses the org token on exactly the operator-only routes with 403, changing nothing; serves it everywhere else', async () => {
    const guarded = new Set(operatorOnly(t.routes));
    const before = await state();
    for (const def of guarded) {
      for (const prefix of PREFIXES) {
        const res = await request(def, prefix, bearer(ORG));
        expect(res.body, `${def.method} ${prefix}${def.path}`).toEqual(FORBIDDEN);
      }
    }
    expect(await state()).toEqual(before);

    let served = 0;
    // Streams never end (supertest would wait for ever); test/events checks their tokens.
    for (const def of t.routes.filter((d) => !guarded.has(d) && !d.stream)) {
      for (const prefix of PREFIXES) {
        const res = await request(def, prefix, bearer(ORG));
        const where = `${def.method} ${prefix}${def.path} → ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`;
        expect([401, 403], where).not.toContain(res.status);
        expect(res.status, where).toBeLessThan(500);
        served++;
      }
    }
    summary.push(`access matrix: org token → 403 on ${guarded.size * 2} operator-only requests, served on ${served} others`);
  });

  it('serves the operator token on every route', async () => {
    let checks = 0;
    for (const def of t.routes.filter((d) => !d.stream)) {
      for (const prefix of PREFIXES) {
        const res = await request(def, prefix, bearer(OPS));
        const where = `${def.method} ${prefix}${def.path} → ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`;
        expect([401, 403], where).not.toContain(res.status);
        expect(res.status, where).toBeLessThan(500);
        checks++;
      }
    }
    summary.push(`access matrix: operator token → served on ${checks} requests`);
  });
});

describe('operator-only refusal comes before everything the request names', () => {
  const orgToken = bearer(ORG);
  const refusedAlike = async (label: string, send: () => supertest.Test) => {
    const res = await send();
    expect(res.body, label).toEqual(FORBIDDEN);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  };

  it('reveals neither whether a task or channel exists nor whether the body is valid', async () => {
    const before = await state();
    await refusedAlike('unknown task', () => t.api().post('/api/scheduler/no-such-task/pause').set(orgToken));
    await refusedAlike('known task', () => t.api().post('/api/scheduler/audit-cleanup/pause').set(orgToken));
    await refusedAlike('unknown channel', () => t.api().post('/api/channels/teams/reconnect').set(orgToken));
    await refusedAlike('disabled channel', () => t.api().post('/api/channels/slack/reconnect').set(orgToken));
    await refusedAlike('unknown task delete', () => t.api().delete('/v1/api/scheduler/nope').set(orgToken));
    await refusedAlike('invalid body', () => t.api().post('/api/orgs').set(orgToken).send({ name: '' }));
    await refusedAlike('malformed JSON', () => t.api().post('/api/channels/configure').set(orgToken).type('json').send('{oops'));
    await refusedAlike('own org in x-org-id', () => t.api().post('/api/orgs').set({ ...orgToken, 'x-org-id': 'org-alpha' }).send({ name: 'Mine' }));
    await refusedAlike('another org in x-org-id', () => t.api().post('/api/orgs').set({ ...orgToken, 'x-org-id': 'default' }).send({ name: 'Theirs' }));
    expect(await state()).toEqual(before);
  });

  it('keeps no idempotency record of a refused request: the operator can use the same key afterwards', async () => {
    const key = { 'Idempotency-Key': 'pause-once' };
    await refusedAlike('with a key', () => t.api().post('/api/scheduler/audit-cleanup/pause').set({ ...orgToken, ...key }));
    // The key was claimed in no scope at all, so nothing can be replayed from it.
    const rows = await countRows(t, 'idempotency_keys');
    expect(rows).toBe(0);
    const ops = await t.api().post('/api/scheduler/audit-cleanup/pause').set({ ...bearer(OPS), ...key }).expect(200);
    expect(ops.headers['idempotent-replayed']).toBeUndefined();
    expect(ops.body).toEqual({ name: 'audit-cleanup', enabled: false, message: 'Task paused' });
  });

  it('still answers 401 before 403: a wrong token never learns a route is operator-only', async () => {
    const res = await t.api().post('/api/scheduler/audit-cleanup/pause').set(bearer('tok-wrong')).expect(401);
    expect(res.body).toEqual(UNAUTHORIZED);
  });

  it('leaves the open API (no API_TOKENS) as it was: every caller is the operator', async () => {
    const open = await makeTestApp();
    try {
      await open.api().post('/api/orgs').send({ name: 'Open' }).expect(201);
      await open.api().post('/api/scheduler/audit-cleanup/pause').expect(200);
      await open.api().delete('/v1/api/scheduler/build-status-report').expect(200);
    } finally {
      open.close();
    }
  });
});
