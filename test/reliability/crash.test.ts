import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allEntries, buildServer, deliver, failedRun, json, printed, startServer, type ServerProcess } from './server-process.js';
import { TEST_ENGINE } from '../helpers/deps.js';
import { freshMigratedDatabase, type TestDatabase } from '../helpers/pg.js';

/**
 * The compiled server, fed signed webhooks and agent actions by concurrent clients, is
 * killed with SIGKILL mid-stream and restarted on the same database (a SQLite file, or a
 * PostgreSQL database of its own). Whatever was answered
 * 2xx before the kill must be there; nothing may be half there; every chain verifies.
 */

const SECRET = 'crash-test-secret';
const CLIENTS = 64;
const ACKED_BEFORE_KILL = 400;
const ORGS = ['org-crash-a', 'org-crash-b'];

let dir: string;
let env: Record<string, string>;
let server: ServerProcess | undefined;
let pgDatabase: TestDatabase | undefined;

beforeAll(async () => {
  buildServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-crash-'));
  pgDatabase = TEST_ENGINE === 'postgres' ? await freshMigratedDatabase() : undefined;
  env = {
    ...(pgDatabase ? { DATABASE_URL: pgDatabase.url, DATABASE_POOL_MAX: '4' } : { DATABASE_PATH: path.join(dir, 'crash.db') }),
    RATE_LIMIT_MAX: '0',
    WEBHOOK_RATE_LIMIT_MAX: '0',
    GITHUB_WEBHOOK_SECRET: SECRET,
    SCHEDULER_ENABLED: 'false',
    LOG_LEVEL: 'warn',
  };
}, 120_000);
afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  await pgDatabase?.drop();
});

type Op = { kind: 'webhook'; deliveryId: string; repo: string; n: number } | { kind: 'autonomy'; agentId: string; orgId: string; actor: string; level: number };

async function setUp(url: string) {
  const repos: string[] = [];
  const taskAgents: Array<{ id: string; orgId: string }> = [];
  for (const orgId of ORGS) {
    await json(`${url}/api/orgs`, { method: 'POST', body: JSON.stringify({ name: orgId.replace('org-', '') }) });
    const h = { 'x-org-id': orgId };
    for (const name of ['api', 'web']) {
      const repo = `${orgId}/${name}`;
      const p = await json(`${url}/api/projects`, { method: 'POST', headers: h, body: JSON.stringify({ repo }) });
      // Level 3: every failed run spawns an incident agent, a second write in the same delivery.
      await json(`${url}/api/agents/${p.body.agentId}/action`, { method: 'POST', headers: h, body: JSON.stringify({ action: 'set_autonomy', params: { level: 3 } }) });
      repos.push(repo);
    }
    for (let i = 0; i < 3; i++) {
      const a = await json(`${url}/api/agents`, { method: 'POST', headers: h, body: JSON.stringify({ name: `worker ${i}`, type: 'task' }) });
      taskAgents.push({ id: a.body.id, orgId });
    }
  }
  return { repos, taskAgents };
}

function send(url: string, op: Op) {
  if (op.kind === 'webhook') return deliver(url, SECRET, op.deliveryId, failedRun(op.repo, op.n));
  return json(`${url}/api/agents/${op.agentId}/action`, {
    method: 'POST',
    headers: { 'x-org-id': op.orgId, 'x-actor-id': op.actor, 'idempotency-key': op.actor },
    body: JSON.stringify({ action: 'set_autonomy', params: { level: op.level } }),
  });
}

describe('crash safety: SIGKILL mid-stream, restart on the same database', () => {
  it('keeps every acknowledged change, half-applies nothing, and every chain verifies', async () => {
    server = await startServer(env);
    expect((await printed(server, 'API_TOKENS is not set')).match(/API_TOKENS is not set/g)).toHaveLength(1);
    const { repos, taskAgents } = await setUp(server.url);

    const first = server;
    const { acked, unanswered, inFlightAtKill } = await streamThenKill(first, repos, taskAgents);
    expect(await first.exited).toBeNull();
    expect(inFlightAtKill).toBeGreaterThan(0);

    server = await startServer(env);
    const after = await verifyAll(server.url, acked, taskAgents);

    // A CI system retries what it never heard back about: each delivery still runs once.
    const retried = unanswered.filter((o): o is Extract<Op, { kind: 'webhook' }> => o.kind === 'webhook');
    let appliedUnheard = 0;
    for (const op of retried) {
      const res = await send(server.url, op);
      expect(res.status).toBe(200);
      if (res.body.duplicate) appliedUnheard++;
    }
    // Kept answers survive the restart: an acknowledged keyed action replays instead of running.
    const keyed = acked.filter((o): o is Extract<Op, { kind: 'autonomy' }> => o.kind === 'autonomy');
    for (const op of keyed) expect((await send(server.url, op)).headers.get('idempotent-replayed'), op.actor).toBe('true');

    const entries = (await Promise.all(ORGS.map((o) => allEntries(server!.url, o)))).flat();
    const ciEvents = entries.filter((e) => e.action === 'ci_event').map((e) => e.metadata.deliveryId as string);
    expect(new Set(ciEvents).size).toBe(ciEvents.length);
    for (const op of retried) expect(ciEvents).toContain(op.deliveryId);
    const keyedActors = new Set(keyed.map((o) => o.actor));
    expect(entries.filter((e) => e.action === 'autonomy_change' && keyedActors.has(e.actorId))).toHaveLength(keyed.length);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    await crossCheckDatabase();
    console.log(
      `crash: ${acked.length} requests acknowledged by the killed server, ${inFlightAtKill} in flight at the kill (${unanswered.length} unanswered, ${retried.length} deliveries retried, ${appliedUnheard} of them applied before the kill and answered as duplicates; ${keyed.length} keyed actions replayed after restart); ${after.checked} audit entries verified after restart`,
    );
  }, 120_000);
});

/** CLIENTS loops of webhooks and keyed actions; SIGKILL once ACKED_BEFORE_KILL got a 2xx. */
async function streamThenKill(target: ServerProcess, repos: string[], taskAgents: Array<{ id: string; orgId: string }>) {
  const acked: Op[] = [];
  const unanswered: Op[] = [];
  let inFlight = 0;
  let inFlightAtKill = -1;
  let seq = 0;
  const client = async (c: number) => {
    while (inFlightAtKill < 0) {
      const n = seq++;
      const op: Op =
        n % 3 === 2
          ? { kind: 'autonomy', ...pickAgent(taskAgents, n), actor: `crash:c${c}:${n}`, level: n % 6 }
          : { kind: 'webhook', deliveryId: `dlv-${n}`, repo: repos[n % repos.length]!, n };
      inFlight++;
      try {
        const res = await send(target.url, op);
        if (res.status < 200 || res.status >= 300) throw new Error(`unexpected ${res.status} ${JSON.stringify(res.body)}`);
        acked.push(op);
      } catch (err) {
        if (inFlightAtKill < 0) throw err;
        unanswered.push(op);
      } finally {
        inFlight--;
      }
      if (acked.length >= ACKED_BEFORE_KILL && inFlightAtKill < 0) {
        inFlightAtKill = inFlight;
        target.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  return { acked, unanswered, inFlightAtKill };
}

const pickAgent = (agents: Array<{ id: string; orgId: string }>, n: number) => {
  const a = agents[n % agents.length]!;
  return { agentId: a.id, orgId: a.orgId };
};

async function verifyAll(url: string, acked: Op[], taskAgents: Array<{ id: string; orgId: string }>) {
  const verify = (await json(`${url}/api/audit/verify`)).body;
  expect(verify.valid).toBe(true);
  for (const orgId of ORGS) {
    expect((await json(`${url}/api/audit/verify`, { headers: { 'x-org-id': orgId } })).body).toMatchObject({ valid: true, brokenAt: null });
  }
  const entries = (await Promise.all(ORGS.map((o) => allEntries(url, o)))).flat();
  const ciEvents = new Set(entries.filter((e) => e.action === 'ci_event').map((e) => e.metadata.deliveryId));
  const autonomy = new Map(entries.filter((e) => e.action === 'autonomy_change').map((e) => [e.actorId, e.metadata.newLevel]));
  for (const op of acked) {
    if (op.kind === 'webhook') expect(ciEvents.has(op.deliveryId), op.deliveryId).toBe(true);
    else expect(autonomy.get(op.actor), op.actor).toBe(op.level);
  }
  // Nothing half-applied: spawned agents and their agent_spawn entries match one to one.
  const spawns = entries.filter((e) => e.action === 'agent_spawn').map((e) => e.metadata.agentId as string);
  const incidents: string[] = [];
  for (const orgId of ORGS) {
    const list = (await json(`${url}/api/agents?type=incident`, { headers: { 'x-org-id': orgId } })).body as Array<{ id: string }>;
    incidents.push(...list.map((a) => a.id));
  }
  expect(new Set(incidents)).toEqual(new Set(spawns));
  expect(spawns.length).toBe(ciEvents.size);
  // Each task agent's level is the one its last autonomy_change recorded.
  for (const a of taskAgents) {
    const last = entries.filter((e) => e.action === 'autonomy_change' && e.metadata.agentId === a.id).at(-1);
    const agent = (await json(`${url}/api/agents/${a.id}`, { headers: { 'x-org-id': a.orgId } })).body;
    expect(agent.autonomyLevel).toBe(last ? last.metadata.newLevel : 1);
  }
  return verify as { checked: number };
}

/** The delivery log and the trail agree row for row: a delivery is recorded only with its effects. */
async function crossCheckDatabase(): Promise<void> {
  if (pgDatabase) {
    const client = new pg.Client({ connectionString: pgDatabase.url });
    await client.connect();
    try {
      const column = async (sql: string) => (await client.query<{ v: string }>(sql)).rows.map((r) => r.v);
      const deliveries = await column('SELECT delivery_id AS v FROM webhook_deliveries');
      const ci = await column("SELECT metadata::json->>'deliveryId' AS v FROM audit_entries WHERE action = 'ci_event'");
      expect(new Set(ci)).toEqual(new Set(deliveries));
      expect(await column("SELECT count(*)::text AS v FROM idempotency_keys WHERE state = 'in_progress'")).toEqual(['0']);
    } finally {
      await client.end();
    }
    return;
  }
  const db = new Database(env.DATABASE_PATH!, { readonly: true });
  try {
    const deliveries = db.prepare('SELECT delivery_id FROM webhook_deliveries').pluck().all() as string[];
    const ci = db.prepare("SELECT json_extract(metadata, '$.deliveryId') FROM audit_entries WHERE action = 'ci_event'").pluck().all() as string[];
    expect(new Set(ci)).toEqual(new Set(deliveries));
    expect(db.prepare("SELECT count(*) FROM idempotency_keys WHERE state = 'in_progress'").pluck().get()).toBe(0);
  } finally {
    db.close();
  }
}
