import type { AgentsRepository } from '../agents/agents.repository.js';
import type { ApprovalsRepository } from '../approvals/approvals.repository.js';
import type { AuditRepository, AuditSnapshotReader } from '../audit/audit.repository.js';
import type { ChannelsRepository } from '../channels/channels.repository.js';
import type { DeploysRepository } from '../deploys/deploys.repository.js';
import type { IdempotencyRepository } from '../idempotency/idempotency.repository.js';
import type { IdentityRepository, MembersRepository } from '../identity/identity.repository.js';
import type { MemoryRepository, VectorSearch } from '../memory/memory.repository.js';
import type { OrgsRepository } from '../orgs/orgs.repository.js';
import type { ProjectsRepository } from '../projects/projects.repository.js';
import type { SchedulerRepository } from '../scheduler/scheduler.repository.js';
import type { StatusRepository } from '../status/status.repository.js';
import type { OrgSecretsRepository, WebhooksRepository } from '../webhooks/webhooks.repository.js';

import type { EventBus } from '../events/bus.js';
import type { TaskLocks } from '../scheduler/scheduler.locks.js';

export type EngineKind = 'sqlite' | 'postgres';

/** Every domain's repository, bound to one connection (or pool) or to one unit of work. */
export interface Repositories {
  agents: AgentsRepository;
  approvals: ApprovalsRepository;
  audit: AuditRepository;
  channels: ChannelsRepository;
  deploys: DeploysRepository;
  idempotency: IdempotencyRepository;
  identities: IdentityRepository;
  members: MembersRepository;
  memory: MemoryRepository;
  orgs: OrgsRepository;
  orgSecrets: OrgSecretsRepository;
  projects: ProjectsRepository;
  scheduler: SchedulerRepository;
  status: StatusRepository;
  webhooks: WebhooksRepository;
}

/**
 * Transactions, the same on every engine. `run` hands `fn` repositories bound to one
 * transaction: it commits when `fn` resolves and rolls back when it rejects (the rejection
 * is passed on). Units nest by joining: a `run` (or `current()`) called, directly or through
 * another service, while a unit is open in the same async context (AsyncLocalStorage) uses
 * that unit's transaction, so a service's change and the audit entry it appends commit
 * together. Nothing else may await a unit's completion from inside it (deadlock).
 */
export interface UnitOfWork {
  run<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /** The repositories of the unit open in this async context, else the engine's own (no transaction). */
  current(): Repositories;
  /** Whether a unit is open in this async context. */
  active(): boolean;
  /**
   * Runs `fn` once the unit open in this async context has committed, in the order queued;
   * dropped when the unit rolls back. Outside a unit it
   * runs at once. Live events go out this way, so none ever describes a rolled-back change.
   * `fn` must not throw (a throw is swallowed: the commit already happened).
   */
  afterCommit(fn: () => void): void;
}

/**
 * A value that changes whenever any committed write may have changed what a read answers,
 * whichever process wrote it: the read cache and ETags are keyed by it. SQLite answers
 * synchronously (O(1) pragmas); an engine that must ask the database returns a promise.
 */
export interface ChangeStamp {
  current(): string | Promise<string>;
}

/** A storage engine: what the server plugs in (server.ts picks one from DATABASE_URL). */
export interface Engine {
  readonly kind: EngineKind;
  /** Repositories outside any unit of work: each call on its own (autocommit). */
  readonly repos: Repositories;
  readonly uow: UnitOfWork;
  readonly stamp: ChangeStamp;
  readonly auditSnapshot: AuditSnapshotReader;
  readonly vectors: VectorSearch;
  /** Carries live events between the processes sharing this database (in-process on SQLite). */
  readonly bus: EventBus;
  /** Who may run a scheduled task now, across the processes sharing this database. */
  readonly taskLocks: TaskLocks;
  /** Migration versions applied when the engine was opened (empty when it was up to date). */
  readonly migrated: readonly number[];
  /** A cheap round trip to the database (the health check); rejects when it is unreachable. */
  ping(): Promise<void>;
  /**
   * Runs `fn` with storage freed by its writes overwritten rather than left readable (SQLite
   * secure_delete, for secrets re-sealed in place); engines without the notion just run it.
   */
  scrubbing<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
