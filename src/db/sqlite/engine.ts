import { openDatabase, type Db } from '../open.js';
import { migrate } from './migrate.js';
import type { Engine, Repositories } from '../engine.js';
import { createAgentsSqlite } from '../../agents/agents.sqlite.js';
import { createApprovalsSqlite } from '../../approvals/approvals.sqlite.js';
import { createAuditSqlite } from '../../audit/audit.sqlite.js';
import { createChannelsSqlite } from '../../channels/channels.sqlite.js';
import { createDeploysSqlite } from '../../deploys/deploys.sqlite.js';
import { createIdempotencySqlite } from '../../idempotency/idempotency.sqlite.js';
import { createIdentitySqlite } from '../../identity/identity.sqlite.js';
import { createMembersSqlite } from '../../identity/members.sqlite.js';
import { createMemorySqlite, createSqliteVectorSearch } from '../../memory/memory.sqlite.js';
import { createOrgsSqlite } from '../../orgs/orgs.sqlite.js';
import { createOrgSecretsSqlite } from '../../webhooks/org-secrets.sqlite.js';
import { createProjectsSqlite } from '../../projects/projects.sqlite.js';
import { createSchedulerSqlite } from '../../scheduler/scheduler.sqlite.js';
import { createSqliteStatusRepository } from '../../status/status.sqlite.js';
import { createWebhooksSqlite } from '../../webhooks/webhooks.sqlite.js';
import { createSqliteUnitOfWork } from './uow.js';
import { createSqliteStamp } from './stamp.js';
import { createSqliteSnapshotReader } from './snapshot.js';
import { createLocalBus } from '../../events/bus.js';
import { localTaskLocks } from '../../scheduler/scheduler.locks.js';

/** The SQLite engine; `db` is the connection itself, for tests and tools that need the file. */
export interface SqliteEngine extends Engine {
  readonly kind: 'sqlite';
  readonly db: Db;
}

const FACTORIES: { [K in keyof Repositories]: (db: Db) => Repositories[K] } = {
  agents: createAgentsSqlite,
  approvals: createApprovalsSqlite,
  audit: createAuditSqlite,
  channels: createChannelsSqlite,
  deploys: createDeploysSqlite,
  idempotency: createIdempotencySqlite,
  identities: createIdentitySqlite,
  members: createMembersSqlite,
  memory: createMemorySqlite,
  orgs: createOrgsSqlite,
  orgSecrets: createOrgSecretsSqlite,
  projects: createProjectsSqlite,
  scheduler: createSchedulerSqlite,
  status: createSqliteStatusRepository,
  webhooks: createWebhooksSqlite,
};

/** Each repository is built (its statements prepared) on first use: a tool or test that needs one pays for one. */
export function lazyRepositories<R extends object>(build: { [K in keyof R]: () => R[K] }): R {
  const out = {} as R;
  for (const key of Object.keys(build) as Array<keyof R>) {
    let made: R[typeof key] | undefined;
    Object.defineProperty(out, key, { enumerable: true, get: () => (made ??= build[key]()) });
  }
  return out;
}

function sqliteRepositories(db: Db): Repositories {
  const build = Object.fromEntries(Object.entries(FACTORIES).map(([k, f]) => [k, () => (f as (db: Db) => unknown)(db)]));
  return lazyRepositories(build as { [K in keyof Repositories]: () => Repositories[K] });
}

/** The engine over an open, migrated connection (tests hand in one they prepared). */
export function sqliteEngineOver(db: Db, migrated: readonly number[] = []): SqliteEngine {
  const { uow, outside, exclusive, ended } = createSqliteUnitOfWork(db, sqliteRepositories(db));
  const ping = db.prepare('SELECT COUNT(*) FROM schema_migrations').pluck();
  // One process owns the file, so its events never need to leave it.
  const bus = createLocalBus();
  return {
    kind: 'sqlite',
    db,
    repos: outside,
    uow,
    stamp: createSqliteStamp(db, ended),
    auditSnapshot: createSqliteSnapshotReader(db, exclusive),
    vectors: createSqliteVectorSearch(db),
    bus,
    taskLocks: localTaskLocks,
    migrated,
    ping: async () => void ping.get(),
    scrubbing: (fn) =>
      exclusive(async () => {
        // The plain text a value replaces is zeroed in the file, not left in free space.
        const before = db.pragma('secure_delete', { simple: true }) as number;
        db.pragma('secure_delete = ON');
        try {
          return await fn();
        } finally {
          db.pragma(`secure_delete = ${before}`);
        }
      }),
    close: async () => {
      await bus.close();
      if (db.open) db.close();
    },
  };
}

/** Opens (creating its folder) and migrates the database file; `:memory:` is allowed. */
export function openSqliteEngine(file: string): SqliteEngine {
  const db = openDatabase(file);
  try {
    return sqliteEngineOver(db, migrate(db));
  } catch (err) {
    db.close();
    throw err;
  }
}
