import supertest from 'supertest';
import type { Store } from 'express-rate-limit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { FallbackStore } from '../../src/ratelimit/fallback-store.js';
import { openRateLimitStores, RedisUnreachableError, type RateLimitStores } from '../../src/ratelimit/rate-limit-stores.js';
import { makeTestDeps } from '../helpers/deps.js';
import { freePort } from '../reliability/server-process.js';
import { redisMissing, startRedis, type RedisServer } from '../helpers/redis-server.js';

const MAX = 5;
const silent = createLogger('silent');
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** An app ("replica") whose limiter counts in `stores` (memory when absent). */
async function replica(stores?: RateLimitStores) {
  const deps = await makeTestDeps({ env: { RATE_LIMIT_MAX: String(MAX), WEBHOOK_RATE_LIMIT_MAX: '0' } });
  closers.push(() => deps.engine.close());
  const built = await createApp({ ...deps, rateLimitStore: stores?.factory });
  return () => supertest(built.app).get('/api/agent-types');
}

/** A store that always fails, standing in for a shared store that is down. */
const broken = (): Store => ({
  increment: async () => Promise.reject(new Error('down')),
  decrement: async () => Promise.reject(new Error('down')),
  resetKey: async () => Promise.reject(new Error('down')),
});

describe('FallbackStore', () => {
  it('counts in memory while the shared store fails, and says so once per outage', async () => {
    const switches: boolean[] = [];
    const store = new FallbackStore(broken(), 'api', (down) => switches.push(down));
    store.init({ windowMs: 60_000 } as never);
    closers.push(async () => store.shutdown());
    const hits = [];
    for (let i = 0; i < 3; i++) hits.push((await store.increment('1.2.3.4')).totalHits);
    expect(hits).toEqual([1, 2, 3]);
    await store.decrement('1.2.3.4');
    expect((await store.increment('1.2.3.4')).totalHits).toBe(3);
    await store.resetKey('1.2.3.4');
    expect((await store.increment('1.2.3.4')).totalHits).toBe(1);
    expect(switches).toEqual([true]);
  });
});

describe('without a shared store (SQLite, one process)', () => {
  it('keeps per-process counts: two apps each allow RATE_LIMIT_MAX', async () => {
    const a = await replica();
    const b = await replica();
    for (let i = 0; i < MAX; i++) await a().expect(200);
    await a().expect(429);
    await b().expect(200);
  });
});

describe('REDIS_URL pointing nowhere at start-up', () => {
  it('is refused with one line naming the address after its attempts (the server exits 1 on it)', async () => {
    const port = await freePort();
    const err = await openRateLimitStores({ REDIS_URL: `redis://:s3cret@127.0.0.1:${port}` }, undefined as never, silent, { startAttempts: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisUnreachableError);
    expect((err as Error).message).toMatch(new RegExp(`^Redis at 127\\.0\\.0\\.1:${port} is unreachable after 2 attempts`));
    expect((err as Error).message).not.toContain('s3cret');
  });
});

const missing = redisMissing();
if (missing) console.warn(`Redis rate-limit cases skipped: ${missing}`);

describe.skipIf(missing !== undefined)(`with REDIS_URL (real redis-server)${missing ? ` - skipped: ${missing}` : ''}`, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => redis?.stop());

  const open = async () => {
    const stores = await openRateLimitStores({ REDIS_URL: redis.url }, undefined as never, silent);
    closers.push(() => stores.close());
    return stores;
  };

  it('shares one budget between two apps: 2 x RATE_LIMIT_MAX spread over both -> RATE_LIMIT_MAX successes', async () => {
    const stores = await open();
    expect(stores.kind).toBe('redis');
    const apps = [await replica(stores), await replica(stores)];
    const statuses = [];
    for (let i = 0; i < 2 * MAX; i++) statuses.push((await apps[i % 2]!()).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(MAX);
    expect(statuses.filter((s) => s === 429)).toHaveLength(MAX);
    await redis.kill();
    await redis.restart();
  });

  it('keeps answering when Redis dies mid-run (each app then limits on its own), and shares again once it is back', async () => {
    const stores = await open();
    const a = await replica(stores);
    const b = await replica(stores);
    await a().expect(200);
    await redis.kill();
    // Down: each app counts on its own, so the limit still holds per app.
    const during = [];
    for (let i = 0; i < MAX + 1; i++) during.push((await a()).status);
    expect(during.filter((s) => s === 200)).toHaveLength(MAX);
    expect(during.at(-1)).toBe(429);
    await b().expect(200);
    await redis.restart();
    // Back (empty: persistence is off): counts are shared again once the client has reconnected.
    for (let i = 0; i < 200 && !stores.connected(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(stores.connected()).toBe(true);
    const statuses = [];
    for (let i = 0; i < 2 * MAX; i++) statuses.push((await (i % 2 ? b : a)()).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(MAX);
  });
});
