import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { loadConfig, ConfigError } from '../../src/config.js';

const ALPHA = 'tok-alpha-7f3c9a1e';
const BETA = 'tok-beta-2b8d4e6f';
const OPS = 'tok-ops-91c0ffee';
const API_TOKENS = `${ALPHA}:org-alpha,${BETA}:org-beta,${OPS}:*`;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

const UNAUTHORIZED = { error: 'Missing or invalid bearer token', code: 'UNAUTHORIZED', status: 401 };
const FORBIDDEN = { error: 'This token is not allowed to act in that organization', code: 'FORBIDDEN', status: 403 };

let t: TestApp;
afterEach(() => t.close());

/** An app with tokens, org-alpha and org-beta created by the operator, and a project in each. */
async function withTokens(opts: { captureLogs?: boolean } = {}) {
  t = await makeTestApp({ env: { API_TOKENS }, captureLogs: opts.captureLogs });
  for (const name of ['Alpha', 'Beta']) await t.api().post('/api/orgs').set(bearer(OPS)).send({ name }).expect(201);
  const alpha = await t.api().post('/api/projects').set(bearer(ALPHA)).send({ repo: 'alpha/app' }).expect(201);
  const beta = await t.api().post('/api/projects').set(bearer(BETA)).send({ repo: 'beta/app' }).expect(201);
  return { alpha: alpha.body as { id: string; agentId: string }, beta: beta.body as { id: string; agentId: string } };
}

describe('API_TOKENS: bearer tokens on /api', () => {
  it.each([
    ['no Authorization header', {}],
    ['an unknown token', bearer('tok-nobody')],
    ['a prefix of a valid token', bearer(ALPHA.slice(0, -1))],
    ['a valid token with a suffix', bearer(`${ALPHA}x`)],
    ['another scheme', { Authorization: `Basic ${ALPHA}` }],
    ['the token without a scheme', { Authorization: ALPHA }],
    ['Bearer without a token', { Authorization: 'Bearer ' }],
    ['two tokens', { Authorization: `Bearer ${ALPHA} ${BETA}` }],
  ])('answers 401 UNAUTHORIZED with %s', async (_what, headers) => {
    await withTokens();
    for (const path of ['/api/agents', '/v1/api/projects']) {
      const res = await t.api().get(path).set(headers).expect(401);
      expect(res.body).toEqual(UNAUTHORIZED);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="codespar"');
    }
    const write = await t.api().post('/api/orgs').set(headers).send({ name: 'Intruder' }).expect(401);
    expect(write.body).toEqual(UNAUTHORIZED);
    expect((await t.api().get('/api/orgs').set(bearer(OPS)).expect(200)).body).toHaveLength(3);
  });

  it('lets an org-bound token without x-org-id act in its own org only', async () => {
    const { alpha } = await withTokens();
    const agent = await t.api().post('/api/agents').set(bearer(ALPHA)).send({ name: 'helper', type: 'task' }).expect(201);
    expect(agent.body.orgId).toBe('org-alpha');
    expect(alpha).toMatchObject({ orgId: 'org-alpha' });

    const projects = await t.api().get('/api/projects').set(bearer(ALPHA)).expect(200);
    expect(projects.body.projects.map((p: { orgId: string }) => p.orgId)).toEqual(['org-alpha']);
    const agents = await t.api().get('/api/agents').set(bearer(ALPHA)).expect(200);
    expect(new Set(agents.body.map((a: { orgId: string }) => a.orgId))).toEqual(new Set(['org-alpha']));
    const audit = await t.api().get('/api/audit').set(bearer(ALPHA)).expect(200);
    expect(new Set(audit.body.entries.map((e: { orgId: string }) => e.orgId))).toEqual(new Set(['org-alpha']));
    expect((await t.api().get('/api/orgs').set(bearer(ALPHA)).expect(200)).body.map((o: { id: string }) => o.id)).toEqual(['org-alpha']);
    const verify = await t.api().get('/api/audit/verify').set(bearer(ALPHA)).expect(200);
    // org_create, project_create, agent_create.
    expect(verify.body).toEqual({ valid: true, checked: 3, brokenAt: null, keyed: false, unkeyed: 3 });
  });

  it('accepts its own org in x-org-id', async () => {
    await withTokens();
    const res = await t.api().get('/api/projects').set({ ...bearer(ALPHA), 'x-org-id': 'org-alpha' }).expect(200);
    expect(res.body.projects).toHaveLength(1);
  });

  it.each(['org-beta', 'default', 'org-does-not-exist'])('answers 403 FORBIDDEN to an org-bound token with x-org-id %s', async (other) => {
    const { beta } = await withTokens();
    expect((await t.api().get('/api/projects').set({ ...bearer(ALPHA), 'x-org-id': other }).expect(403)).body).toEqual(FORBIDDEN);
    const write = await t.api().delete(`/api/projects/${beta.id}`).set({ ...bearer(ALPHA), 'x-org-id': other }).expect(403);
    expect(write.body).toEqual(FORBIDDEN);
    expect((await t.api().get('/api/projects').set(bearer(BETA)).expect(200)).body.projects).toHaveLength(1);
  });

  it('still answers 400 INVALID_ORG_ID to a malformed header with a bound token', async () => {
    await withTokens();
    const res = await t.api().get('/api/agents').set({ ...bearer(ALPHA), 'x-org-id': '../../x' }).expect(400);
    expect(res.body.code).toBe('INVALID_ORG_ID');
  });

  it('keeps unscoped (all-org) reads for * tokens', async () => {
    await withTokens();
    const all = await t.api().get('/api/projects').set(bearer(OPS)).expect(200);
    expect(all.body.projects.map((p: { orgId: string }) => p.orgId).sort()).toEqual(['org-alpha', 'org-beta']);
    const verify = await t.api().get('/api/audit/verify').set(bearer(OPS)).expect(200);
    expect(verify.body.orgs.map((o: { orgId: string }) => o.orgId)).toEqual(['default', 'org-alpha', 'org-beta']);
    // The bound token asking the same thing gets its org's view, never the operator's.
    expect((await t.api().get('/api/audit/verify').set(bearer(BETA)).expect(200)).body).not.toHaveProperty('orgs');
  });

  it('lets a * token use any x-org-id', async () => {
    await withTokens();
    for (const org of ['org-alpha', 'org-beta', 'default']) {
      const res = await t.api().post('/api/agents').set({ ...bearer(OPS), 'x-org-id': org }).send({ name: 'ops', type: 'task' }).expect(201);
      expect(res.body.orgId).toBe(org);
    }
    expect((await t.api().get('/api/agents').set({ ...bearer(OPS), 'x-org-id': 'ghost' }).expect(404)).body.code).toBe('ORG_NOT_FOUND');
  });

  it('answers 404 ORG_NOT_FOUND while a bound token names an org that does not exist yet', async () => {
    t = await makeTestApp({ env: { API_TOKENS } });
    const res = await t.api().get('/api/agents').set(bearer(ALPHA)).expect(404);
    expect(res.body).toEqual({ error: 'Organization not found', code: 'ORG_NOT_FOUND', status: 404 });
  });

  it('needs no token on /health and /webhooks/github', async () => {
    await withTokens();
    await t.api().get('/health').expect(200);
    await t.api().get('/v1/health').expect(200);
    const hook = await t.api().post('/webhooks/github').set('X-GitHub-Event', 'ping').send({ zen: 'hi' }).expect(200);
    expect(hook.body).toEqual({ received: true, event: 'ping', processed: true });
  });

  it('leaves the API open without API_TOKENS', async () => {
    t = await makeTestApp();
    await t.api().get('/api/agents').expect(200);
    await t.api().post('/api/orgs').send({ name: 'Open' }).expect(201);
    await t.api().get('/api/agents').set(bearer('anything')).expect(200);
  });

  it('never writes a token to the logs', async () => {
    await withTokens({ captureLogs: true });
    await t.api().get('/api/agents').set(bearer(ALPHA)).expect(200);
    await t.api().get('/api/agents').set(bearer(`${BETA}-wrong`)).expect(401);
    await t.api().get('/api/agents').set({ ...bearer(ALPHA), 'x-org-id': 'org-beta' }).expect(403);
    await t.api().get('/api/nowhere').set(bearer(OPS)).expect(404);
    await t.api().post('/api/orgs').set(bearer(OPS)).type('json').send('{bad').expect(400);
    const logs = t.deps.logs.join('\n');
    expect(t.deps.logs.length).toBeGreaterThan(5);
    for (const token of [ALPHA, BETA, OPS]) expect(logs).not.toContain(token);
  });

  it.each([
    ['an entry without an org', 'sekrit-token-no-org'],
    ['a malformed org id', 'sekrit-token:Org_A'],
    ['one token bound to two orgs', 'sekrit-token:org-a,sekrit-token:org-b'],
  ])('refuses %s at start-up, without printing the token', (_what, value) => {
    let message = '';
    try {
      loadConfig({ API_TOKENS: value });
    } catch (err) {
      if (err instanceof ConfigError) message = err.message;
    }
    expect(message).toMatch(/^Invalid configuration: API_TOKENS /);
    expect(message).not.toContain('sekrit');
  });

  it('parses tokens that contain colons (the org is after the last one)', () => {
    expect(loadConfig({ API_TOKENS: ' a:b:c:org-a , ops:* ' }).API_TOKENS).toEqual([
      { token: 'a:b:c', orgId: 'org-a' },
      { token: 'ops', orgId: '*' },
    ]);
  });
});
