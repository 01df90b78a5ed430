import type { Store } from 'express-rate-limit';
import type { Config } from '../config.js';
import type { Engine } from '../db/engine.js';
import type { PostgresEngine } from '../db/postgres/engine.js';
import type { Logger } from '../logger.js';
import { FallbackStore } from './fallback-store.js';

/** Builds one budget's store (`prefix` keeps budgets apart); absent: each process counts in memory. */
export type RateLimitStoreFactory = (prefix: string) => Store;

export interface RateLimitStores {
  /** Where counters live: `redis`, `postgres` or `memory` (per process). */
  readonly kind: 'redis' | 'postgres' | 'memory';
  readonly factory?: RateLimitStoreFactory;
  /** Whether the shared store is connected right now (Redis; always true otherwise). */
  connected(): boolean;
  close(): Promise<void>;
}

/** Raised when REDIS_URL is set but Redis cannot be reached at start-up (one line, no secret). */
export class RedisUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnreachableError';
  }
}

const START_ATTEMPTS = 10;

const where = (url: string): string => {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '6379'}`;
};

/** One line per change of side, so an outage is one warning and its end one info line. */
const switchLogger = (logger: Logger, kind: string) => (down: boolean, err?: unknown) => {
  if (down) logger.warn({ err, store: kind }, `rate-limit counters unreachable (${kind}): each replica counts on its own until it answers again`);
  else logger.info({ store: kind }, `rate-limit counters shared again (${kind})`);
};

/**
 * Connects to Redis, retrying for a few seconds at start-up (a plugin that comes up with the
 * service), then gives up: an operator who set REDIS_URL asked for shared limits, and a process
 * that quietly counted on its own would hide a wrong URL until the day it mattered. Once up, the
 * client reconnects on its own; commands fail at once while it is disconnected (no offline queue),
 * so requests fall back to this process's counters instead of waiting.
 */
async function connectRedis(url: string, logger: Logger, attempts: number, onReconnect: () => void) {
  const { createClient } = await import('redis');
  let ready = false;
  let gaveUp: RedisUnreachableError | undefined;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2_000,
      reconnectStrategy: (retries, cause) => {
        if (ready || retries < attempts - 1) return Math.min(100 * 2 ** retries, 2_000);
        gaveUp = new RedisUnreachableError(`Redis at ${where(url)} is unreachable after ${attempts} attempts: ${cause.message.split('\n')[0]}`);
        return gaveUp;
      },
    },
  });
  let lastError = '';
  client.on('error', (err: Error) => {
    // The client emits one error per failed reconnect: log each distinct one once.
    if (ready && err.message !== lastError) logger.warn({ err }, 'redis connection error');
    lastError = err.message;
  });
  client.on('ready', () => {
    if (ready) onReconnect();
    ready = true;
    lastError = '';
  });
  try {
    await client.connect();
  } catch (err) {
    if (client.isOpen) client.destroy();
    if (gaveUp) throw gaveUp;
    throw new RedisUnreachableError(`Redis at ${where(url)} cannot be used: ${(err as Error).message.split('\n')[0]}`);
  }
  return client;
}

/**
 * Where this process keeps rate-limit counters: Redis with REDIS_URL; else PostgreSQL's own
 * table when the engine is PostgreSQL (every replica shares it); else memory (SQLite is one process).
 * Each shared store's client is loaded only when it is used, so a process without them starts sooner.
 */
export async function openRateLimitStores(
  config: Pick<Config, 'REDIS_URL'>,
  engine: Engine,
  logger: Logger,
  { startAttempts = START_ATTEMPTS }: { startAttempts?: number } = {},
): Promise<RateLimitStores> {
  if (config.REDIS_URL) {
    const stores: FallbackStore[] = [];
    // Scripts loaded before an outage may be gone after it (a restarted Redis): load them again.
    const client = await connectRedis(config.REDIS_URL, logger, startAttempts, () => stores.forEach((s) => s.initShared()));
    const onSwitch = switchLogger(logger, 'redis');
    const { RedisStore } = await import('rate-limit-redis');
    return {
      kind: 'redis',
      connected: () => client.isReady,
      factory: (prefix) => {
        const store = new FallbackStore(new RedisStore({ prefix: `codespar:rl:${prefix}:`, sendCommand: (...args: string[]) => client.sendCommand(args) }), prefix, onSwitch);
        stores.push(store);
        return store;
      },
      close: async () => {
        if (client.isOpen) await client.close().catch(() => client.destroy());
      },
    };
  }
  if (engine.kind === 'postgres') {
    const { pool } = engine as PostgresEngine;
    const { PgRateLimitStore } = await import('./rate-limit.pg.js');
    const onSwitch = switchLogger(logger, 'postgres');
    return { kind: 'postgres', connected: () => true, factory: (prefix) => new FallbackStore(new PgRateLimitStore(pool, `${prefix}:`), prefix, onSwitch), close: async () => {} };
  }
  return { kind: 'memory', connected: () => true, close: async () => {} };
}
