import type pg from 'pg';
import type { Engine, Repositories } from '../engine.js';
import { createAgentsPg } from '../../agents/agents.pg.js';
import { createApprovalsPg } from '../../approvals/approvals.pg.js';
import { createDeploysPg } from '../../deploys/deploys.pg.js';
import { createPgStatusRepository } from '../../status/status.pg.js';
import { createAuditPg } from '../../audit/audit.pg.js';
import { createChannelsPg } from '../../channels/channels.pg.js';
import { createIdempotencyPg } from '../../idempotency/idempotency.pg.js';
import { createIdentityPg, createMembersPg } from '../../identity/identity.pg.js';
import { createMemoryPg, createPgVectorSearch } from '../../memory/memory.pg.js';
import { createOrgsPg } from '../../orgs/orgs.pg.js';
import { createProjectsPg } from '../../projects/projects.pg.js';
import { createSchedulerPg } from '../../scheduler/scheduler.pg.js';
import { createOrgSecretsPg, createWebhooksPg } from '../../webhooks/webhooks.pg.js';
import { createPool } from './pool.js';
import { migratePostgres } from './migrate.js';
import { createPgUnitOfWork } from './uow.js';
import { createPgStamp } from './stamp.js';
import { createPgSnapshotReader } from './snapshot.js';
import type { Queryable } from './sql.js';
import { createPgBus } from '../../events/bus.pg.js';
import { createPgTaskLocks } from '../../scheduler/scheduler.locks.pg.js';

export interface PostgresEngine extends Engine {
  readonly kind: 'postgres';
  readonly pool: pg.Pool;
}

export interface PostgresEngineConfig {
  url: string;
  poolMax: number;
  /** Attempts to reach the server at start-up, one second apart (default 10). */
  connectAttempts?: number;
  /** Told of live-event connection failures (lost listener, a notification not sent). */
  onBusError?: (err: unknown) => void;
}

/** Raised when the server cannot be reached at start-up; its message is one line without secrets. */
export class DatabaseUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnreachableError';
  }
}

/** `inUnit`: bound to one unit of work's transaction (see createAuditPg). */
export function pgRepositories(q: Queryable, inUnit = false): Repositories {
  return {
    agents: createAgentsPg(q),
    approvals: createApprovalsPg(q),
    audit: createAuditPg(q, inUnit),
    channels: createChannelsPg(q),
    deploys: createDeploysPg(q),
    idempotency: createIdempotencyPg(q),
    identities: createIdentityPg(q),
    members: createMembersPg(q),
    memory: createMemoryPg(q),
    orgs: createOrgsPg(q),
    orgSecrets: createOrgSecretsPg(q),
    projects: createProjectsPg(q),
    scheduler: createSchedulerPg(q),
    status: createPgStatusRepository(q),
    webhooks: createWebhooksPg(q),
  };
}

/** Where a URL points, without its credentials (for messages). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

async function reachable(pool: pg.Pool, url: string, attempts: number): Promise<void> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      await pool.query('SELECT 1');
      return;
    } catch (err) {
      last = err;
      if (i + 1 < attempts) await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  const reason = last instanceof Error ? last.message.split('\n')[0] : String(last);
  throw new DatabaseUnreachableError(`PostgreSQL at ${describeUrl(url)} is unreachable after ${attempts} attempts: ${reason}`);
}

/** Connects (with a bounded retry), migrates under the advisory lock, and builds the engine. */
export async function createPostgresEngine(config: PostgresEngineConfig): Promise<PostgresEngine> {
  const pool = createPool({ url: config.url, max: config.poolMax });
  try {
    await reachable(pool, config.url, config.connectAttempts ?? 10);
    const migrated = await migratePostgres(pool);
    const repos = pgRepositories(pool);
    const bus = createPgBus({ url: config.url, onError: config.onBusError });
    const taskLocks = createPgTaskLocks(config.url);
    let closing: Promise<void> | undefined;
    return {
      kind: 'postgres',
      pool,
      repos,
      uow: createPgUnitOfWork(pool, repos, (client) => pgRepositories(client, true)),
      stamp: createPgStamp(pool),
      auditSnapshot: createPgSnapshotReader(pool),
      vectors: createPgVectorSearch(pool),
      bus,
      taskLocks,
      migrated,
      ping: async () => void (await pool.query('SELECT 1')),
      // Freed row versions are PostgreSQL's to reclaim (VACUUM); there is no per-write switch.
      scrubbing: (fn) => fn(),
      // Shutdown paths may close twice (a signal during another close): the pool ends once.
      close: () => (closing ??= Promise.all([bus.close(), taskLocks.close()]).then(() => pool.end())),
    };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}
