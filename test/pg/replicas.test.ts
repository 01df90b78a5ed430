import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, deliver, failedRun, json } from '../reliability/server-process.js';
import { freshMigratedDatabase, type TestDatabase } from '../helpers/pg.js';
import { startStub, type Stub } from '../helpers/stub-server.js';
import { telegram } from '../channels/platform-stubs.js';
import { redisMissing, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { call, freshIp, metric, startCluster, startHeldGitHub, until, type Cluster } from './replicas-support.js';

// Three real server processes over one PostgreSQL database, started once for the whole file
// and used as a load balancer without sticky sessions would: any request to any replica.

const SECRET = 'replica-webhook-secret';
const MAX = 10;
let db: TestDatabase;
let cluster: Cluster;
let github: Awaited<ReturnType<typeof startHeldGitHub>>;
let urls: string[];
let chat: Stub;

const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) => call(`${url}${path}`, { method: 'POST', body: JSON.stringify(body), headers });
// fetch() marks a conditional request `Cache-Control: no-cache` (which forbids a 304) unless told otherwise.
const conditional = (etag: string) => ({ 'if-none-match': etag, 'cache-control': 'max-age=0' });
const task = async (url: string, name: string) => (await call(`${url}/api/scheduler/${name}`)).body;

beforeAll(() => buildServer(), 120_000);

describe('replicas over one PostgreSQL', () => {
  beforeAll(async () => {
    db = await freshMigratedDatabase();
    github = await startHeldGitHub();
    chat = await startStub(telegram.handler('good-token'));
    cluster = await startCluster(3, {
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url,
      DATABASE_POOL_MAX: '4',
      TRUST_PROXY: '1',
      RATE_LIMIT_MAX: String(MAX),
      WEBHOOK_RATE_LIMIT_MAX: '0',
      GITHUB_WEBHOOK_SECRET: SECRET,
      GITHUB_TOKEN: 'test-token',
      GITHUB_API_URL: github.url,
      TELEGRAM_API_URL: chat.url,
      SCHEDULER_ENABLED: 'true',
      SCHEDULER_SCHEDULES: 'audit-cleanup=*/2 * * * * *',
    });
    urls = cluster.replicas.map((r) => r.url);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await github?.close();
    await chat?.close();
    await db?.drop();
  }, 60_000);

  it('shows a write acknowledged by one replica in the next read on every other, never a stale ETag', async () => {
    for (let i = 0; i < 3; i++) {
      const [writer, reader] = [urls[i]!, urls[(i + 1) % 3]!];
      const before = await call(`${reader}/api/agents`);
      const etag = before.headers.get('etag')!;
      expect((await call(`${reader}/api/agents`, { headers: conditional(etag) })).status).toBe(304);
      const created = await post(writer, '/api/agents', { name: `raw-${i}`, type: 'task' });
      expect(created.status).toBe(201);
      const after = await call(`${reader}/api/agents`, { headers: conditional(etag) });
      expect(after.status).toBe(200);
      expect(after.headers.get('etag')).not.toBe(etag);
      expect(after.body.map((a: { id: string }) => a.id)).toContain(created.body.id);
      expect((await call(`${urls[(i + 2) % 3]}/api/agents/${created.body.id}`)).status).toBe(200);
    }
  });

  it('keeps one valid chain per org under 90 concurrent writes spread over the three', async () => {
    const orgs: string[] = [];
    for (const name of ['Chain One', 'Chain Two', 'Chain Three']) orgs.push((await post(urls[0]!, '/api/orgs', { name })).body.id as string);
    const writes = await Promise.all(
      Array.from({ length: 90 }, (_, i) => post(urls[i % 3]!, '/api/agents', { name: `w-${i}`, type: 'task' }, { 'x-org-id': orgs[Math.floor(i / 3) % 3]! })),
    );
    expect(writes.map((w) => w.status)).toEqual(Array(90).fill(201));
    for (const [i, org] of orgs.entries()) {
      const verify = await call(`${urls[i]}/api/audit/verify`, { headers: { 'x-org-id': org } });
      expect(verify.body).toMatchObject({ valid: true, checked: 31 });
    }
  });

  it('processes a delivery sent to all three at once once, and a replayed body under new ids once', async () => {
    expect((await post(urls[0]!, '/api/projects', { repo: 'acme/widget' })).status).toBe(201);
    const same = await Promise.all(urls.map((u) => deliver(u, SECRET, 'delivery-same', failedRun('acme/widget', 1))));
    expect(same.filter((r) => r.body.processed === true)).toHaveLength(1);
    expect(same.filter((r) => r.body.duplicate === true && r.body.reason === 'Duplicate delivery')).toHaveLength(2);
    const replayed = await Promise.all(urls.map((u, i) => deliver(u, SECRET, `delivery-replay-${i}`, failedRun('acme/widget', 2))));
    expect(replayed.filter((r) => r.body.processed === true)).toHaveLength(1);
    expect(replayed.filter((r) => r.body.reason === 'Replayed payload')).toHaveLength(2);
    const ci = (await call(`${urls[2]}/api/audit?action=ci_event&limit=100`)).body.entries as Array<{ metadata: { deliveryId: string } }>;
    expect(ci.filter((e) => e.metadata.deliveryId === 'delivery-same')).toHaveLength(1);
    expect(ci.filter((e) => e.metadata.deliveryId.startsWith('delivery-replay-'))).toHaveLength(1);
  });

  it('runs an Idempotency-Key sent to all three at once once', async () => {
    const body = { name: 'idem-once', type: 'task' };
    const answers = await Promise.all(urls.map((u) => post(u, '/api/agents', body, { 'idempotency-key': 'replica-key-1' })));
    const firsts = answers.filter((a) => a.status === 201 && a.headers.get('idempotent-replayed') !== 'true');
    expect(firsts).toHaveLength(1);
    for (const a of answers.filter((x) => x !== firsts[0])) {
      if (a.status === 201) expect(a.body).toEqual(firsts[0]!.body);
      else expect(a.body).toMatchObject({ code: 'IDEMPOTENCY_IN_PROGRESS', status: 409 });
    }
    const all = (await call(`${urls[1]}/api/agents`)).body as Array<{ name: string }>;
    expect(all.filter((a) => a.name === 'idem-once')).toHaveLength(1);
  });

  it('shares the rate limit (PostgreSQL counters): 2 x RATE_LIMIT_MAX spread over the three -> RATE_LIMIT_MAX successes', async () => {
    const from = freshIp();
    const statuses = await Promise.all(Array.from({ length: 2 * MAX }, (_, i) => call(`${urls[i % 3]}/api/agent-types`, { from }).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(MAX);
    expect(statuses.filter((s) => s === 429)).toHaveLength(MAX);
  });

  it('fires each scheduler tick on one replica, counted once in the shared row', async () => {
    await until(async () => (await task(urls[0]!, 'audit-cleanup')).runCount >= 2, 'audit-cleanup to tick');
    const t0 = Date.now();
    const before = (await task(urls[0]!, 'audit-cleanup')).runCount as number;
    const perReplicaBefore = await Promise.all(urls.map((u) => metric(u, 'scheduler_runs_total', { task: 'audit-cleanup' })));
    await new Promise((r) => setTimeout(r, 6_500));
    const after = (await task(urls[1]!, 'audit-cleanup')).runCount as number;
    const perReplicaAfter = await Promise.all(urls.map((u) => metric(u, 'scheduler_runs_total', { task: 'audit-cleanup' })));
    // A bound, not a timing: no more runs than ticks in the interval (plus one that was under
    // way at its start). Three replicas each firing would count about three per tick.
    const ticks = Math.floor((Date.now() - t0) / 2_000) + 1;
    expect(after - before).toBeGreaterThan(0);
    expect(after - before).toBeLessThanOrEqual(ticks + 1);
    const runsSeen = perReplicaAfter.reduce((n, v, i) => n + v - perReplicaBefore[i]!, 0);
    expect(Math.abs(runsSeen - (after - before))).toBeLessThanOrEqual(1);
  });

  it('shares pause and resume: paused on one, no replica fires it; resumed on another, it fires again', async () => {
    await post(urls[0]!, '/api/scheduler/audit-cleanup/pause', undefined);
    for (const u of urls) expect(await task(u, 'audit-cleanup')).toMatchObject({ enabled: false, nextRun: null });
    const paused = (await task(urls[1]!, 'audit-cleanup')).runCount as number;
    await new Promise((r) => setTimeout(r, 4_500));
    // At most the run that was already under way when the pause landed.
    expect((await task(urls[2]!, 'audit-cleanup')).runCount - paused).toBeLessThanOrEqual(1);
    await post(urls[2]!, '/api/scheduler/audit-cleanup/resume', undefined);
    expect((await task(urls[0]!, 'audit-cleanup')).enabled).toBe(true);
    await until(async () => (await task(urls[1]!, 'audit-cleanup')).runCount >= paused + 2, 'audit-cleanup to fire again');
  });

  it('answers 409 TASK_RUNNING to /run while the task runs on any replica, and runs it where it was called', async () => {
    github.hold = true;
    const first = post(urls[0]!, '/api/scheduler/build-status-report/run', undefined);
    await until(() => github.heldCount() > 0, 'the run to reach GitHub');
    for (const u of urls) {
      const busy = await post(u, '/api/scheduler/build-status-report/run', undefined);
      expect(busy.status).toBe(409);
      expect(busy.body).toEqual({ error: 'Task is already running', code: 'TASK_RUNNING', status: 409 });
    }
    github.hold = false;
    github.release();
    const done = await first;
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ name: 'build-status-report', ok: true, error: null });
    expect((await post(urls[1]!, '/api/scheduler/build-status-report/run', undefined)).body.ok).toBe(true);
  });

  it('shares channel settings: configured on one replica, each other replica checks its own connection with them', async () => {
    const configured = await post(urls[0]!, '/api/channels/configure', { channel: 'telegram', config: { botToken: 'good-token' } });
    expect(configured.body).toMatchObject({ success: true, channel: 'telegram', connected: true });
    expect(chat.requests).toHaveLength(1);
    for (const u of urls.slice(1)) {
      await until(async () => {
        const { body } = await call(`${u}/api/channels`);
        return body.channels.find((c: { name: string }) => c.name === 'telegram').status === 'connected';
      }, 'the replica to check telegram');
    }
    // One check per replica, each from its own process.
    expect(chat.requests.map((r) => r.path)).toEqual(Array(3).fill('/botgood-token/getMe'));
  });

  it('loses no acknowledged write when one replica is killed (-9) in a stream of writes; the others answer and take the ticks', async () => {
    const victim = cluster.replicas[2]!;
    const acknowledged: string[] = [];
    let sent = 0;
    const writer = async () => {
      while (sent < 60) {
        const n = sent++;
        if (n === 20) victim.child.kill('SIGKILL');
        try {
          const r = await post(urls[n % 3]!, '/api/agents', { name: `k-${n}`, type: 'task' });
          if (r.status === 201) acknowledged.push(r.body.id);
        } catch {
          // The killed replica: a refused or cut connection is not an acknowledgement.
        }
      }
    };
    await Promise.all([writer(), writer(), writer(), writer()]);
    await victim.exited;
    expect(acknowledged.length).toBeGreaterThanOrEqual(40);
    // Read back from both survivors in turn.
    for (const [i, id] of acknowledged.entries()) expect((await call(`${urls[i % 2]}/api/agents/${id}`)).status).toBe(200);
    for (const u of urls.slice(0, 2)) expect((await json(`${u}/health`)).status).toBe(200);
    expect((await call(`${urls[0]}/api/audit/verify`)).body.valid).toBe(true);
    const runs = (await task(urls[0]!, 'audit-cleanup')).runCount as number;
    await until(async () => (await task(urls[1]!, 'audit-cleanup')).runCount >= runs + 2, 'the survivors to take the ticks');
  });
});

// Rate limits shared through a real redis-server by three more processes.
const REDIS_MAX = 8;
const missing = redisMissing();
if (missing) console.warn(`Redis replica cases skipped: ${missing}`);

describe.skipIf(missing !== undefined)(`replicas with REDIS_URL${missing ? ` - skipped: ${missing}` : ''}`, () => {
  let rdb: TestDatabase;
  let redis: RedisServer;
  let rcluster: Cluster;
  let rurls: string[];

  beforeAll(async () => {
    [rdb, redis] = await Promise.all([freshMigratedDatabase(), startRedis()]);
    rcluster = await startCluster(3, {
      LOG_LEVEL: 'silent',
      DATABASE_URL: rdb.url,
      DATABASE_POOL_MAX: '3',
      REDIS_URL: redis.url,
      TRUST_PROXY: '1',
      RATE_LIMIT_MAX: String(REDIS_MAX),
      SCHEDULER_ENABLED: 'false',
    });
    rurls = rcluster.replicas.map((r) => r.url);
  }, 120_000);

  afterAll(async () => {
    await rcluster?.stop();
    await redis?.stop();
    await rdb?.drop();
  }, 60_000);

  const spread = async (from: string) =>
    Promise.all(Array.from({ length: 2 * REDIS_MAX }, (_, i) => call(`${rurls[i % 3]}/api/agent-types`, { from }).then((r) => r.status)));

  it('shares one budget: 2 x RATE_LIMIT_MAX spread over the three -> RATE_LIMIT_MAX successes', async () => {
    const statuses = await spread(freshIp());
    expect(statuses.filter((s) => s === 200)).toHaveLength(REDIS_MAX);
    expect(statuses.filter((s) => s === 429)).toHaveLength(REDIS_MAX);
  });

  it('keeps answering when Redis dies, limiting per replica meanwhile', async () => {
    await redis.kill();
    const statuses = await spread(freshIp());
    // Each replica counts on its own: 16 requests over three replicas of 8 each all pass, none fail otherwise.
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(REDIS_MAX);
    const one = freshIp();
    const single = [];
    for (let i = 0; i < REDIS_MAX + 1; i++) single.push((await call(`${rurls[0]}/api/agent-types`, { from: one })).status);
    expect(single.filter((s) => s === 200)).toHaveLength(REDIS_MAX);
    expect(single.at(-1)).toBe(429);
    await redis.restart();
  });
});
