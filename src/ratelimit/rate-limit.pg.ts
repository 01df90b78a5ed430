import type pg from 'pg';
import type { IncrementResponse, Options, Store } from 'express-rate-limit';
import { exec, one, stmt } from '../db/postgres/sql.js';

const S = {
  // One statement per hit, atomic under concurrent replicas: the row's window either goes on
  // (one more hit) or has ended (a new window starting now with this hit).
  increment: stmt(
    'rl:increment',
    `INSERT INTO rate_limit_hits AS r (key, hits, reset_at) VALUES ($1, 1, now() + make_interval(secs => $2::double precision / 1000))
     ON CONFLICT (key) DO UPDATE SET
       hits = CASE WHEN r.reset_at <= now() THEN 1 ELSE r.hits + 1 END,
       reset_at = CASE WHEN r.reset_at <= now() THEN EXCLUDED.reset_at ELSE r.reset_at END
     RETURNING hits, reset_at AS "resetAt"`,
  ),
  decrement: stmt('rl:decrement', 'UPDATE rate_limit_hits SET hits = GREATEST(hits - 1, 0) WHERE key = $1 AND reset_at > now()'),
  reset: stmt('rl:reset', 'DELETE FROM rate_limit_hits WHERE key = $1'),
  sweep: stmt('rl:sweep', 'DELETE FROM rate_limit_hits WHERE reset_at <= now()'),
};

// Ended windows are deleted every this many hits (by whichever replica reaches the count).
const SWEEP_EVERY = 1_000;

/**
 * Rate-limit counters in PostgreSQL, shared by every replica over the same database, for
 * deployments without Redis. Each hit is one autocommit statement on the pool (never inside a
 * unit of work, so it never waits for the unit lock); window ends come from the database's
 * clock, the same for every replica.
 */
export class PgRateLimitStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;
  private hits = 0;

  constructor(
    private readonly pool: pg.Pool,
    readonly prefix: string,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<IncrementResponse> {
    const r = await one<{ hits: number; resetAt: Date }>(this.pool, S.increment, [this.prefix + key, this.windowMs]);
    if (++this.hits % SWEEP_EVERY === 0) void exec(this.pool, S.sweep).catch(() => undefined);
    return { totalHits: r!.hits, resetTime: r!.resetAt };
  }

  async decrement(key: string): Promise<void> {
    await exec(this.pool, S.decrement, [this.prefix + key]);
  }

  async resetKey(key: string): Promise<void> {
    await exec(this.pool, S.reset, [this.prefix + key]);
  }
}
