import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Response } from 'supertest';
import examples from '@octokit/webhooks-examples/api.github.com/index.json' with { type: 'json' };
import { sign } from '@octokit/webhooks-methods';
import type { TestApp } from '../helpers/app.js';

// The JSON's inferred type is huge and not what the package declares; treat payloads as plain data.
type Payload = Record<string, any>;
const DEFINITIONS = examples as unknown as Array<{ name: string; examples: Payload[] }>;

/** Every real GitHub example payload of one event. */
export function realExamples(event: string): Payload[] {
  const def = DEFINITIONS.find((d) => d.name === event);
  if (!def) throw new Error(`no examples for ${event}`);
  return def.examples;
}

/** A copy of the first real example that matches, to be tailored by a test. */
export function realExample(event: string, match: (p: Payload) => boolean = () => true): Payload {
  const found = realExamples(event).find(match);
  if (!found) throw new Error(`no matching ${event} example`);
  return structuredClone(found);
}

export const SHA = 'abc1234def5678901234567890abcdef12345678';
export const REPO = 'acme/api';
export const PR_BRANCH = 'feat/rate-limiting';

const withRepo = (p: Payload, repo: string): Payload => {
  p.repository.full_name = repo;
  p.repository.name = repo.split('/')[1];
  return p;
};

export function workflowRun(o: { name?: string; conclusion?: string | null; status?: string; branch?: string; repo?: string } = {}): Payload {
  const p = realExample('workflow_run', (e) => e.action === 'completed' && e.workflow_run.conclusion === 'success');
  const conclusion = o.conclusion === undefined ? 'failure' : o.conclusion;
  Object.assign(p.workflow_run, {
    name: o.name ?? 'CI',
    head_branch: o.branch ?? 'main',
    head_sha: SHA,
    status: o.status ?? (conclusion ? 'completed' : 'in_progress'),
    conclusion,
    html_url: 'https://github.com/acme/api/actions/runs/7',
    updated_at: '2026-05-31T10:00:00Z',
  });
  p.action = conclusion ? 'completed' : 'in_progress';
  return withRepo(p, o.repo ?? REPO);
}

export function pullRequest(o: { action?: string; merged?: boolean; title?: string; number?: number; user?: string; repo?: string } = {}): Payload {
  const p = realExample('pull_request', (e) => e.action === 'opened');
  p.action = o.action ?? 'opened';
  Object.assign(p.pull_request, {
    number: o.number ?? 42,
    title: o.title ?? 'feat: add rate limiting',
    state: p.action === 'closed' ? 'closed' : 'open',
    merged: o.merged ?? false,
  });
  p.pull_request.user.login = o.user ?? 'alice';
  p.pull_request.head.ref = PR_BRANCH;
  p.number = p.pull_request.number;
  return withRepo(p, o.repo ?? REPO);
}

export function push(o: { branch?: string; messages?: string[]; username?: string | null; pusher?: string; repo?: string } = {}): Payload {
  const p = realExample('push', (e) => e.ref === 'refs/heads/master' && e.head_commit);
  const messages = o.messages ?? ['feat: add rate limiting'];
  p.ref = `refs/heads/${o.branch ?? 'main'}`;
  p.pusher = { name: o.pusher ?? 'alice-pusher', email: 'alice@example.com' };
  p.commits = messages.map((message, i) => ({ ...structuredClone(p.head_commit), id: `${i}${SHA.slice(1)}`, message }));
  p.head_commit = { ...p.commits.at(-1), author: { name: 'Alice', email: 'alice@example.com' } };
  if (o.username !== null) p.head_commit.author.username = o.username ?? 'alice';
  return withRepo(p, o.repo ?? REPO);
}

export function checkRun(o: { name?: string; conclusion?: string | null; headBranch?: string | null; repo?: string } = {}): Payload {
  const p = realExample('check_run', (e) => e.action === 'completed' && e.check_run.conclusion === 'success');
  const conclusion = o.conclusion === undefined ? 'success' : o.conclusion;
  Object.assign(p.check_run, {
    name: o.name ?? 'lint',
    head_sha: SHA,
    status: conclusion ? 'completed' : 'in_progress',
    conclusion,
    html_url: 'https://github.com/acme/api/runs/9',
    completed_at: conclusion ? '2026-05-31T11:00:00Z' : null,
  });
  p.check_run.check_suite.head_branch = o.headBranch === undefined ? 'main' : o.headBranch;
  p.action = conclusion ? 'completed' : 'created';
  return withRepo(p, o.repo ?? REPO);
}

export interface DeliverOptions {
  /** X-GitHub-Delivery; null sends none; default a fresh id. */
  id?: string | null;
  /** Signs the exact body sent with this secret. */
  secret?: string;
  path?: string;
  headers?: Record<string, string>;
}

/** Posts one delivery as GitHub does: the raw JSON string, its signature over those bytes. */
async function send(t: TestApp, event: string | null, payload: unknown, o: DeliverOptions): Promise<Response> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const req = t.api().post(o.path ?? '/webhooks/github').set('content-type', 'application/json');
  if (event !== null) req.set('x-github-event', event);
  if (o.id !== null) req.set('x-github-delivery', o.id ?? randomUUID());
  if (o.secret) req.set('x-hub-signature-256', await sign(o.secret, body));
  for (const [k, v] of Object.entries(o.headers ?? {})) req.set(k, v);
  return req.send(body);
}

/** A delivery; `.expect(status)` asserts the status (showing the body when it differs), like supertest's. */
export function deliver(t: TestApp, event: string | null, payload: unknown, o: DeliverOptions = {}) {
  const sent = send(t, event, payload, o);
  return Object.assign(sent, {
    expect: async (status: number): Promise<Response> => {
      const res = await sent;
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      return res;
    },
  });
}

/** Creates a project (and its project agent) through the API; optionally sets the agent's level. */
export async function linkRepo(t: TestApp, repo = REPO, o: { org?: string; level?: number; suspend?: boolean; defaultBranch?: string } = {}) {
  const headers = o.org ? { 'x-org-id': o.org } : {};
  const res = await t.api().post('/api/projects').set(headers).send({ repo, ...(o.defaultBranch ? { defaultBranch: o.defaultBranch } : {}) }).expect(201);
  const { id: projectId, agentId } = res.body as { id: string; agentId: string };
  if (o.level !== undefined) await agentAction(t, agentId, { action: 'set_autonomy', params: { level: o.level } });
  if (o.suspend) await agentAction(t, agentId, { action: 'suspend' });
  return { projectId, agentId };
}

export async function agentAction(t: TestApp, agentId: string, body: object) {
  await t.api().post(`/api/agents/${agentId}/action`).send(body).expect(200);
}

export interface AuditRow {
  id: string;
  actorType: string;
  actorId: string;
  action: string;
  result: string;
  metadata: Record<string, unknown>;
  orgId: string;
  projectId: string | null;
  risk: string;
}

/** The org's audit entries in append order (every page of 100). */
export async function auditOf(t: TestApp, org = 'default', query: Record<string, string> = {}): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  for (let page = 1; ; page++) {
    const res = await t.api().get('/api/audit').set('x-org-id', org).query({ order: 'asc', limit: '100', page: String(page), ...query }).expect(200);
    rows.push(...(res.body.entries as AuditRow[]));
    if (!res.body.hasMore) return rows;
  }
}

export async function agentDetails(t: TestApp, agentId: string) {
  return (await t.api().get(`/api/agents/${agentId}`).expect(200)).body;
}

export async function projectView(t: TestApp, projectId: string) {
  const res = await t.api().get('/api/projects').expect(200);
  return (res.body.projects as Array<{ id: string }>).find((p) => p.id === projectId) as Record<string, any>;
}
