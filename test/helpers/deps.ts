import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Db } from '../../src/db/open.js';
import { migrate } from '../../src/db/sqlite/migrate.js';
import { sqliteEngineOver } from '../../src/db/sqlite/engine.js';
import type { Engine } from '../../src/db/engine.js';
import { makePgTestEngine } from './pg.js';
import { ManualClock } from '../../src/clock.js';
import { createLogger } from '../../src/logger.js';
import type { AppDeps } from '../../src/deps.js';
import type { GitHubClient } from '../../src/github/github.client.js';

/** Base env for tests: no limits, no scheduler firing, silent logs, in-memory database. */
export const TEST_ENV: Record<string, string> = {
  LOG_LEVEL: 'silent',
  DATABASE_PATH: ':memory:',
  RATE_LIMIT_MAX: '0',
  WEBHOOK_RATE_LIMIT_MAX: '0',
  SCHEDULER_ENABLED: 'false',
};

export interface TestDepsOptions {
  env?: Record<string, string | undefined>;
  /** A SQLite connection prepared by the test (a file it pokes); only with the SQLite engine. */
  db?: Db;
  /** An engine the test opened itself (a database it shares between two apps, or pokes). */
  engine?: Engine;
  clock?: ManualClock;
  /** Capture log lines (JSON) instead of discarding them; sets LOG_LEVEL to info unless env says otherwise. */
  captureLogs?: boolean;
  github?: GitHubClient;
  /** Cross-domain ports for the scheduled tasks (see AppDeps.ports). */
  ports?: AppDeps['ports'];
  /** The host-name resolver of the outbound guard (see AppDeps.resolve). */
  resolve?: AppDeps['resolve'];
}

export interface TestDeps extends AppDeps {
  clock: ManualClock;
  logs: string[];
}

export function openTestDb(file = ':memory:'): Db {
  const db = openDatabase(file);
  migrate(db);
  return db;
}

/** The engine tests run on: TEST_ENGINE (`sqlite`, the default, or `postgres`). */
export const TEST_ENGINE = process.env.TEST_ENGINE ?? 'sqlite';

/**
 * A fresh, migrated engine for one test app: SQLite over the connection a test prepared,
 * else TEST_ENGINE's (PostgreSQL: a database of its own, dropped when the app closes).
 */
export async function makeTestEngine(config: { DATABASE_PATH: string }, db?: Db): Promise<Engine> {
  if (db) return sqliteEngineOver(db);
  if (TEST_ENGINE === 'postgres') return makePgTestEngine();
  if (TEST_ENGINE !== 'sqlite') throw new Error(`TEST_ENGINE=${TEST_ENGINE}: no such engine (sqlite or postgres)`);
  return sqliteEngineOver(openTestDb(config.DATABASE_PATH));
}

export async function makeTestDeps(opts: TestDepsOptions = {}): Promise<TestDeps> {
  const env = { ...TEST_ENV, ...(opts.captureLogs ? { LOG_LEVEL: 'info' } : {}), ...opts.env };
  const config = loadConfig(env);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const clock = opts.clock ?? new ManualClock('2026-06-01T12:00:00.000Z');
  return {
    config,
    engine: opts.engine ?? (await makeTestEngine(config, opts.db)),
    clock,
    logger: createLogger(config.LOG_LEVEL, sink),
    version: '0.0.0-test',
    startedAt: clock.now(),
    ports: opts.ports,
    resolve: opts.resolve,
    logs,
    ...(opts.github ? { github: opts.github } : {}),
  };
}
