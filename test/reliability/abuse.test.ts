import { tableSnapshot } from '../helpers/engine-db.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import type { Test } from 'supertest';
import { makeTestApp, type TestApp, sqliteOf } from '../helpers/app.js';
import { checkResponse, documentedOperations } from '../helpers/contract.js';
import { startStub, sendJson, type Stub } from '../helpers/stub-server.js';
import type { RouteDef } from '../../src/http/registry.js';
import { CONTENT_TYPES, POLLUTING_KEYS, encodeAll, headerValue, hostileString, jsonValue, nearlyValid, pathSegment, rawBodies, toJsonText, type Json } from './hostile.js';
import { dbSnapshot } from './support.js';

/**
 * Random and hostile input to every route of the registry: each answer is a documented
 * 4xx with the error body (or a documented 2xx where the input happens to be valid),
 * never a 5xx; a rejected request leaves every table as it was; the app keeps serving.
 */

let t: TestApp;
let platforms: Stub;
let ops: ReturnType<typeof documentedOperations>;
let real: { org: string; agent: string; project: string; approval: string };
const cases = { total: 0, rejected: 0, accepted: 0 };
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  // Chat platforms answer "bad token" at once, so a configure that passes validation stays local.
  platforms = await startStub((_req, res) => sendJson(res, 401, { ok: false }));
  const url = platforms.url;
  t = await makeTestApp({ env: { TELEGRAM_API_URL: url, SLACK_API_URL: url, DISCORD_API_URL: url, CHANNEL_CONNECT_TIMEOUT_MS: '500' } });
  ops = documentedOperations(t.routes);
  const org = (await t.api().post('/api/orgs').send({ name: 'Fuzz' }).expect(201)).body.id as string;
  const project = (await t.api().post('/api/projects').set('x-org-id', org).send({ repo: 'fuzz/app' }).expect(201)).body;
  await t.api().post('/api/channels/web/messages').set('x-org-id', org).send({ userId: 'u1', text: 'hello fuzz', projectId: project.id }).expect(201);
  const approval = (await t.api().post('/api/approvals').set('x-org-id', org).send({ action: 'deploy', description: 'fuzz', quorum: 10 }).expect(201)).body.id as string;
  real = { org, agent: project.agentId, project: project.id, approval };
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  console.log(`abuse: ${cases.total} fuzz cases over ${t.routes.length} routes (${cases.rejected} rejected with 4xx, ${cases.accepted} accepted with 2xx)`);
  t.close();
  await platforms.close();
});

const fieldsOf = (s: RouteDef['body']): string[] => {
  if (!s) return [];
  const json = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; anyOf?: Array<{ properties?: Record<string, unknown> }>; oneOf?: Array<{ properties?: Record<string, unknown> }> };
  const all = [json, ...(json.anyOf ?? []), ...(json.oneOf ?? [])];
  return [...new Set(all.flatMap((j) => Object.keys(j.properties ?? {})))];
};

/** Valid bodies, so that one hostile field gets past the others and into the service. */
const samples = (): Record<string, Record<string, unknown>> => ({
  'post /agents': { name: 'bot', type: 'task', projectId: real.project, autonomyLevel: 2 },
  'post /agents/:id/action': { action: 'set_autonomy', params: { level: 2 } },
  'post /project/link': { agentId: real.agent, repo: 'fuzz/other' },
  'post /project/unlink': { agentId: real.agent },
  'post /projects': { repo: 'fuzz/other', name: 'Other', defaultBranch: 'dev' },
  'post /orgs': { name: 'Fuzzed', slug: 'fuzzed' },
  'post /orgs/:id/members': { identityId: 'ident-x', role: 'owner' },
  'post /channels/web/messages': { userId: 'u2', username: 'someone', text: 'hi', projectId: real.project },
  'post /channels/configure': { channel: 'telegram', config: { botToken: '1:abc' } },
  'post /identity': { displayName: 'D', role: 'owner', channels: [{ type: 'web', userId: 'u3' }] },
  'post /approvals': { action: 'deploy', description: 'fuzz', projectId: real.project, quorum: 2, expiresInMinutes: 5 },
  'post /approvals/:id/vote': { vote: 'approve', comment: 'ok' },
});

interface Case {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

const arbitraries = new Map<RouteDef, fc.Arbitrary<Case>>();
const caseOf = (def: RouteDef): fc.Arbitrary<Case> => arbitraries.get(def) ?? arbitraries.set(def, caseFor(def)).get(def)!;

function caseFor(def: RouteDef): fc.Arbitrary<Case> {
  const segment = pathSegment([real.agent, real.project, real.org, real.approval, 'health-check', 'telegram', 'web']);
  const path = fc.tuple(...[...def.path.matchAll(/:[A-Za-z0-9_]+/g)].map(() => segment)).map((values) => {
    let i = 0;
    return def.path.replace(/:[A-Za-z0-9_]+/g, () => values[i++]!);
  });
  const queryKey = fc.oneof(fc.constantFrom(...POLLUTING_KEYS, ...fieldsOf(def.query)), fc.string({ maxLength: 8 }));
  const query = fc.oneof(
    fc.array(fc.tuple(queryKey, hostileString.filter((s) => s.length <= 400)), { maxLength: 4 }).map((pairs) => pairs.map(([k, v]) => `${encodeAll(k)}=${encodeAll(v)}`).join('&')),
    fc.constantFrom('q=%FF', 'limit=%', 'a[b]=1', '__proto__[x]=1&__proto__=2', 'page=1e3&limit=-0', 'q=&q=', 'projectId=../../x'),
  );
  const sample = samples()[`${def.method} ${def.path}`];
  if (def.body && !sample) throw new Error(`abuse: add a valid sample body for ${def.method} ${def.path}`);
  const text = (a: fc.Arbitrary<Json>) => a.map((v) => Buffer.from(toJsonText(v)));
  const bodies = [{ weight: 3, arbitrary: text(jsonValue(fieldsOf(def.body))) }, { weight: 1, arbitrary: rawBodies }];
  if (sample) bodies.push({ weight: 5, arbitrary: text(nearlyValid(sample)) });
  const body = fc.option(fc.oneof(...bodies), { nil: undefined, freq: 4 });
  // Each header is absent or sane most of the time, so that the others' hostility reaches the service.
  const header = (name: string, values: fc.Arbitrary<string>) =>
    fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: values.map((v) => [name, v] as const) });
  const orgIds = fc.oneof(fc.constantFrom(real.org, 'default', '../../x', 'ORG-X', 'org-\u00e9', 'a'.repeat(65), 'org-missing'), headerValue);
  const headers = fc
    .tuple(
      header('x-org-id', orgIds),
      header('x-actor-id', headerValue),
      header('idempotency-key', headerValue),
      fc.oneof({ weight: 4, arbitrary: fc.constant(['content-type', 'application/json'] as const) }, header('content-type', fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerValue))),
      header('authorization', headerValue),
      header('x-request-id', headerValue),
    )
    .map((hs) => Object.fromEntries(hs.filter((h) => h !== undefined)));
  const method = fc.oneof({ weight: 6, arbitrary: fc.constant(def.method) }, { weight: 1, arbitrary: fc.constantFrom('get', 'post', 'put', 'patch', 'delete') });
  return fc.record({ method, path, query, headers, body });
}

async function send(c: Case) {
  const url = `/api${c.path}${c.query ? `?${c.query}` : ''}`;
  let req = (t.api() as unknown as Record<string, (u: string) => Test>)[c.method]!(url).set(c.headers);
  // The bytes as generated: superagent would otherwise JSON-encode a Buffer under a JSON content type.
  if (c.body !== undefined) req = req.serialize((b: unknown) => b as string).send(c.body);
  return { url, res: await req };
}

describe('hostile input to every route', () => {
  it('answers 4xx with the error body (or a documented 2xx), never 5xx, and rejected requests change nothing', async () => {
    // An event stream that opens never ends, so supertest would wait for ever: its hostile
    // input (types, cursors, headers) is covered by test/events.
    const routes = fc.constantFrom(...t.routes.filter((d) => !d.stream)).chain(caseOf);
    await fc.assert(
      fc.asyncProperty(routes, async (c) => {
        const before = await tableSnapshot(t);
        const { url, res } = await send(c);
        cases.total++;
        expect(res.status, `${c.method.toUpperCase()} ${url} → ${JSON.stringify(res.body).slice(0, 200)}`).toBeLessThan(500);
        expect(checkResponse(ops, c.method, url, res)).toBeUndefined();
        if (res.status >= 400) {
          cases.rejected++;
          expect(await tableSnapshot(t)).toEqual(before);
        } else cases.accepted++;
      }),
      { numRuns: 2_000 },
    );
    expect(unhandled).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await t.api().get('/health').expect(200);
  }, 120_000);
});

describe('what the fuzzer found, pinned', () => {
  it('answers 400 VALIDATION_ERROR to a path parameter that is not valid percent-encoding (was 500)', async () => {
    for (const path of ['/api/agents/%FF', '/api/orgs/%00/members/%E0%A4%A', '/v1/api/scheduler/%']) {
      const res = await t.api().get(path).expect(400);
      expect(res.body).toEqual({ error: 'Malformed percent-encoding in the URL path', code: 'VALIDATION_ERROR', status: 400 });
    }
    const del = await t.api().delete('/api/agents/%FF').expect(400);
    expect(del.body.code).toBe('VALIDATION_ERROR');
  });

  it('leaves a body sent with DELETE unread instead of refusing it with an undocumented 415', async () => {
    const res = await t.api().delete('/api/agents/agent-task-none00').set('content-type', 'text/plain').send('not json').expect(404);
    expect(res.body.code).toBe('AGENT_NOT_FOUND');
  });

  it('documents the body errors of a POST that takes no body', async () => {
    const res = await t.api().post('/api/scheduler/health-check/pause').type('json').send('{bad').expect(400);
    expect(res.body.code).toBe('INVALID_JSON');
  });
});
