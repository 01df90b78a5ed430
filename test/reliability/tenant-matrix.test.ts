import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { sendJson, startStub, type Stub } from '../helpers/stub-server.js';
import type { RouteDef } from '../../src/http/registry.js';
import { OPERATOR_REQUIRED } from '../../src/http/operator-guard.js';

/**
 * For every route of the registry, org A's resources are invisible and untouchable from
 * org B — with B's x-org-id on an open API, and with B's bound token. Routes are read
 * from `t.routes`, so a new route joins the matrix without editing this file; one whose
 * path parameter or body the matrix cannot fill fails below, naming what to add.
 *
 * Instance-level routes (`scope: 'instance'`: channels, scheduler) are exempt: they belong
 * to the instance, not to an org, so every org sees the same. Identities are instance-wide
 * too, but an org sees only its members and the identities created in it, so they are in.
 * With bound tokens, operator-only routes (`access: 'operator'`) must refuse B's token with
 * 403 before anything else (access-matrix.test.ts tries every route with every kind of token).
 */

interface Victim {
  orgId: string;
  projectId: string;
  projectAgentId: string;
  taskAgentId: string;
  memberId: string;
  messageId: string;
  messageIdentityId: string;
  approvalId: string;
  deployId: string;
  auditIds: string[];
  hashes: string[];
}

const REPO = 'victim-a/secret-repo';

/** Path parameters, by the resource the path names and the parameter. */
function pathValue(path: string, param: string, v: Victim): string {
  const resource = path.split('/')[1];
  if (param === 'id' && resource === 'agents') return v.taskAgentId;
  if (param === 'id' && resource === 'projects') return v.projectId;
  if (param === 'id' && resource === 'orgs') return v.orgId;
  if (param === 'identityId') return v.memberId;
  if (param === 'id' && resource === 'approvals') return v.approvalId;
  throw new Error(`tenant matrix: teach pathValue() which of org A's ids fills :${param} in ${path}`);
}

/** Query fields that name a resource get A's id; `q` gets a word of A's message. */
const QUERY_VALUES = (v: Victim): Record<string, string> => ({
  agentId: v.projectAgentId,
  projectId: v.projectId,
  q: 'launch',
  // A's member (registered in A): B's lookup must not find it.
  channelType: 'slack',
  channelUserId: 'UALICEA',
});

/** A valid body per write route, naming A's resources wherever the body can. */
const BODIES = (v: Victim, n: number): Record<string, unknown> => ({
  'post /agents': { name: 'probe', type: 'task', projectId: v.projectId },
  'post /agents/:id/action': { action: 'set_autonomy', params: { level: 0 } },
  'post /project/link': { agentId: v.taskAgentId, repo: 'attacker/repo' },
  'post /project/unlink': { agentId: v.projectAgentId },
  // Not a reference by id: B may link the same repo in its own org, and must not learn A did.
  'post /projects': { repo: REPO },
  'post /orgs': { name: `Probe ${n}` },
  'post /orgs/:id/members': { identityId: v.memberId, role: 'owner' },
  'post /channels/web/messages': { userId: 'probe-user', text: 'hello', projectId: v.projectId },
  // A fresh channel user each time (identity-attacks.test.ts names A's own users).
  'post /identity': { displayName: 'Probe', role: 'read-only', channels: [{ type: 'web', userId: `probe-${n}` }] },
  'post /approvals': { action: 'deploy', description: 'probe', projectId: v.projectId, agentId: v.taskAgentId },
  'post /approvals/:id/vote': { vote: 'reject' },
});

function queriesFor(def: RouteDef, v: Victim): string[] {
  if (!def.query) return [''];
  const json = z.toJSONSchema(def.query, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; required?: string[] };
  const values = QUERY_VALUES(v);
  const names = Object.keys(json.properties ?? {});
  const required = json.required ?? [];
  for (const r of required) if (!(r in values)) throw new Error(`tenant matrix: no value for required query parameter ${r} of GET ${def.path}`);
  const minimal = new URLSearchParams(required.map((r): [string, string] => [r, values[r]!])).toString();
  const referencing = new URLSearchParams(names.filter((n) => n in values).map((n): [string, string] => [n, values[n]!])).toString();
  return [...new Set([minimal, referencing])].map((q) => (q ? `?${q}` : ''));
}

let stub: Stub;
beforeAll(async () => {
  // GitHub, for project creation and so that link gets past MISSING_CONFIG to its tenant check.
  stub = await startStub((req, res) => {
    const m = /^\/repos\/([^/]+)\/([^/?]+)$/.exec(req.path);
    if (m) return sendJson(res, 200, { full_name: `${m[1]}/${m[2]}`, default_branch: 'main' });
    sendJson(res, 404, { message: 'Not Found' });
  });
});
afterAll(() => stub.close());

let t: TestApp;
afterEach(() => t.close());

type Headers = Record<string, string>;

async function buildVictim(a: Headers): Promise<Victim> {
  const api = () => t.api();
  const project = (await api().post('/api/projects').set(a).send({ repo: REPO }).expect(201)).body;
  const task = (await api().post('/api/agents').set(a).send({ name: 'worker', type: 'task', projectId: project.id }).expect(201)).body;
  await api().post(`/api/agents/${project.agentId}/action`).set(a).send({ action: 'set_autonomy', params: { level: 3 } }).expect(200);
  const message = (await api().post('/api/channels/web/messages').set(a).send({ userId: 'alice-a', text: 'launch plan for Q3', projectId: project.id }).expect(201)).body;
  const member = (await api().post('/api/identity').set(a).send({ displayName: 'Alice', role: 'owner', channels: [{ type: 'slack', userId: 'UALICEA' }] }).expect(201)).body;
  await api().post(`/api/orgs/${project.orgId}/members`).set(a).send({ identityId: member.id, role: 'maintainer' }).expect(201);
  const approval = (await api().post('/api/approvals').set(a).send({ action: 'deploy', description: 'ship Q3', projectId: project.id, quorum: 2 }).expect(201)).body;
  // Reported to A's own signed URL: the one way a tenant reports deploys when tokens are handed out.
  const secret = (await api().post('/api/webhooks/secret').set(a).expect(201)).body.secret as string;
  const report = JSON.stringify({ project: project.id, status: 'failed', environment: 'prod-a' });
  const deploy = (
    await api()
      .post(`/webhooks/deploy/${project.orgId}`)
      .set('content-type', 'application/json')
      .set('x-deploy-signature', `sha256=${createHmac('sha256', secret).update(report).digest('hex')}`)
      .send(report)
      .expect(200)
  ).body.deploy;
  const audit = (await api().get('/api/audit?limit=100').set(a).expect(200)).body.entries as Array<{ id: string; hash: string }>;
  return {
    orgId: project.orgId,
    projectId: project.id,
    projectAgentId: project.agentId,
    taskAgentId: task.id,
    memberId: member.id,
    messageId: message.messageId,
    messageIdentityId: message.identityId,
    approvalId: approval.id,
    deployId: deploy.id,
    auditIds: audit.map((e) => e.id),
    hashes: audit.map((e) => e.hash),
  };
}

/** Everything A can see of itself; B's requests must leave it exactly as it was. */
async function viewOf(a: Headers) {
  const get = async (path: string) => (await t.api().get(path).set(a).expect(200)).body;
  return Promise.all(['/api/agents', '/api/projects', '/api/audit?limit=100', '/api/audit/verify', '/api/memory', '/api/orgs', '/api/approvals', '/api/deploys'].map(get));
}

/** Identity ids too: an org sees only its members and the identities created in it. */
const secretsOf = (v: Victim) => [v.orgId, v.projectId, v.projectAgentId, v.taskAgentId, v.messageId, v.memberId, v.messageIdentityId, v.approvalId, v.deployId, ...v.auditIds, ...v.hashes];

interface Tally {
  checks: number;
  routes: Set<string>;
  exempt: Set<string>;
  operatorOnly: Set<string>;
}

// Named actor: a vote without one is refused (MISSING_ACTOR) before the approval is even looked up.
const callAs = (def: RouteDef, url: string, as: Headers) =>
  (t.api() as unknown as Record<string, (u: string) => import('supertest').Test>)[def.method]!(url).set({ 'x-actor-id': 'probe', ...as });

/** Calls every route as the attacker and checks the answer leaks and touches nothing of A. */
async function attack(v: Victim, as: Headers, tally: Tally, tokens: boolean): Promise<string[]> {
  const problems: string[] = [];
  const secrets = secretsOf(v);
  for (const def of t.routes) {
    const name = `${def.method.toUpperCase()} ${def.path}`;
    if (tokens && def.access === 'operator') {
      // B's org token: refused before the path, the body or the org is even looked at.
      const res = await callAs(def, `/api${def.path.replace(/:([A-Za-z0-9_]+)/g, 'x')}`, as);
      tally.checks++;
      tally.operatorOnly.add(name);
      if (res.status !== 403 || res.body.error !== OPERATOR_REQUIRED) problems.push(`${name} → ${res.status} ${JSON.stringify(res.body)}: must be 403 ${OPERATOR_REQUIRED}`);
      continue;
    }
    // Event streams never end (supertest would wait for ever); test/events checks their scope.
    if (def.scope === 'instance' || def.stream) {
      tally.exempt.add(name);
      continue;
    }
    const params = [...def.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
    const path = def.path.replace(/:([A-Za-z0-9_]+)/g, (_m, p: string) => pathValue(def.path, p, v));
    const bodyKey = `${def.method} ${def.path}`;
    const body = BODIES(v, tally.checks)[bodyKey];
    if (def.body && body === undefined) throw new Error(`tenant matrix: add a sample body for ${bodyKey}`);
    for (const query of def.method === 'get' ? queriesFor(def, v) : ['']) {
      const req = callAs(def, `/api${path}${query}`, as);
      const res = await (def.body ? req.send(body as object) : req);
      tally.checks++;
      tally.routes.add(name);
      const text = JSON.stringify(res.body);
      const where = `${name}${query} → ${res.status} ${text.slice(0, 160)}`;
      const leaked = secrets.filter((s) => text.includes(s));
      if (leaked.length) problems.push(`${where}: leaks ${leaked.join(', ')}`);
      const notFound = res.status === 404 && /_NOT_FOUND$/.test(res.body.code);
      if (params.length > 0 && !notFound) problems.push(`${where}: names A's resource in its path, must be 404`);
      if (res.status >= 300 && !notFound) problems.push(`${where}: only 2xx without A's data or 404 are allowed`);
    }
  }
  return problems;
}

describe('tenant matrix: org A is invisible and untouchable from org B', () => {
  const summary: string[] = [];
  afterAll(() => console.log(summary.join('\n')));

  async function check(label: string, setup: { env: Record<string, string>; tokens: boolean; operator: Headers; victim: Headers; attackers: (orgs: string[]) => Array<[string, Headers]> }) {
    t = await makeTestApp({ env: { GITHUB_TOKEN: 'ghp_test', GITHUB_API_URL: stub.url, ...setup.env } });
    for (const name of ['Victim A', 'Attacker B', 'Attacker C']) await t.api().post('/api/orgs').set(setup.operator).send({ name }).expect(201);
    const victim = await buildVictim(setup.victim);
    expect(victim.orgId).toBe('org-victim-a');
    const before = await viewOf(setup.victim);
    const tally: Tally = { checks: 0, routes: new Set(), exempt: new Set(), operatorOnly: new Set() };
    const attackers = setup.attackers(['org-attacker-b', 'org-attacker-c', 'default']);
    const problems: string[] = [];
    for (const [, headers] of attackers) problems.push(...(await attack(victim, headers, tally, setup.tokens)));
    expect(problems).toEqual([]);
    expect(await viewOf(setup.victim)).toEqual(before);
    expect(tally.routes.size + tally.exempt.size + tally.operatorOnly.size).toBe(t.routes.length);
    summary.push(
      `tenant matrix (${label}): ${tally.routes.size} org routes × ${attackers.length} orgs = ${tally.checks} requests checked ` +
        `(including operator-only refusals and extra query variants); operator-only: ${tally.operatorOnly.size}; exempt as instance-level: ${[...tally.exempt].join(', ')}`,
    );
    return tally;
  }

  it('with B\u2019s x-org-id header on an open API', async () => {
    const tally = await check('x-org-id', {
      env: {},
      tokens: false,
      operator: {},
      victim: { 'x-org-id': 'org-victim-a' },
      attackers: (orgs) => orgs.map((o) => [o, { 'x-org-id': o }]),
    });
    expect(tally.routes.size).toBeGreaterThanOrEqual(20);
  });

  it('with B\u2019s bound token (no header)', async () => {
    const env = { API_TOKENS: 'tok-a:org-victim-a,tok-b:org-attacker-b,tok-c:org-attacker-c,tok-d:default,tok-op:*' };
    const tally = await check('bound token', {
      env,
      tokens: true,
      operator: { Authorization: 'Bearer tok-op' },
      victim: { Authorization: 'Bearer tok-a' },
      attackers: () => ['tok-b', 'tok-c', 'tok-d'].map((k) => [k, { Authorization: `Bearer ${k}` }]),
    });
    expect(tally.routes.size).toBeGreaterThanOrEqual(20);
  });
});
