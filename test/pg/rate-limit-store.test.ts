import { describe, expect, it } from 'vitest';
import { PgRateLimitStore } from '../../src/ratelimit/rate-limit.pg.js';
import { migratedDatabase, pool } from './support.js';

const init = (s: PgRateLimitStore, windowMs: number) => s.init({ windowMs } as never);

describe('PgRateLimitStore (counters shared through PostgreSQL)', () => {
  it('counts every hit exactly once when two pools ("replicas") race on one key', async () => {
    const db = await migratedDatabase();
    const stores = [new PgRateLimitStore(pool(db.url), 'api:'), new PgRateLimitStore(pool(db.url), 'api:')];
    for (const s of stores) init(s, 60_000);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 2]!.increment('10.0.0.1')));
    expect(results.map((r) => r.totalHits).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // One window for everyone: the same reset time whichever replica answered.
    expect(new Set(results.map((r) => r.resetTime!.getTime())).size).toBe(1);
    expect((await stores[0]!.increment('10.0.0.2')).totalHits).toBe(1);
  });

  it('keeps budgets apart by prefix, decrements, resets a key, and starts a new window once one ends', async () => {
    const db = await migratedDatabase();
    const p = pool(db.url);
    const api = new PgRateLimitStore(p, 'api:');
    const hooks = new PgRateLimitStore(p, 'webhooks:');
    init(api, 60_000);
    init(hooks, 60_000);
    await api.increment('k');
    await api.increment('k');
    expect((await hooks.increment('k')).totalHits).toBe(1);
    await api.decrement('k');
    expect((await api.increment('k')).totalHits).toBe(2);
    await api.resetKey('k');
    expect((await api.increment('k')).totalHits).toBe(1);

    const short = new PgRateLimitStore(p, 'short:');
    init(short, 50);
    await short.increment('k');
    expect((await short.increment('k')).totalHits).toBe(2);
    await p.query(`UPDATE rate_limit_hits SET reset_at = now() - interval '1 second' WHERE key = 'short:k'`);
    const fresh = await short.increment('k');
    expect(fresh.totalHits).toBe(1);
    expect(fresh.resetTime!.getTime()).toBeGreaterThan(Date.now() - 5_000);
  });
});
