import type { Clock } from '../clock.js';
import type { UnitOfWork } from '../db/engine.js';
import type { Logger } from '../logger.js';
import type { AuditService } from '../audit/audit.service.js';
import type { HealthService } from '../health/health.service.js';
import { notFound } from '../http/errors.js';
import { DEFAULT_ORG } from '../http/org-scope.js';
import { nextRunAfter, parseCron, type CronFields } from './scheduler.cron.js';
import type { CronDriver, CronHandle } from './scheduler.driver.js';
import type { SchedulerRepository, TaskState } from './scheduler.repository.js';
import { createRunner, type RunSlot } from './scheduler.runner.js';
import type { Task, TaskCancelled, TaskRunResult, TaskToggled } from './scheduler.schemas.js';
import type { Metrics } from '../metrics/metrics.js';

export interface TaskDefinition {
  name: string;
  /** 5-field cron expression, read in UTC. */
  schedule: string;
  intervalMs: number;
  builtin: boolean;
  handler: () => unknown;
}

/** Why a scheduled firing did not run the task. */
export type SkipReason = 'disabled' | 'paused' | 'running' | 'stopped';
export type FireOutcome = TaskRunResult | { name: string; skipped: SkipReason };

export interface SchedulerServiceDeps {
  uow: UnitOfWork;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
  logger: Logger;
  health: Pick<HealthService, 'update'>;
  /** SCHEDULER_ENABLED: false keeps every task registered but never fires one on its own. */
  enabled: boolean;
  driver: CronDriver;
  /** How long stop() waits for runs in flight before the database closes. */
  drainMs?: number;
  metrics?: Pick<Metrics, 'schedulerRun'>;
  /** Every finished run (the scheduler.run live event). */
  onRun?: (result: TaskRunResult) => void;
}

interface Entry extends RunSlot {
  def: TaskDefinition;
  fields: CronFields;
  /** Mirrors the stored switch, so firing never needs the database (health-check must run when it is down). */
  enabled: boolean;
  handle?: CronHandle;
}

export const ALREADY_RUNNING = 'Task is already running';

/** Waits for every promise to settle, or `ms`, whichever comes first. */
async function settleWithin(promises: Array<Promise<unknown>>, ms: number): Promise<void> {
  if (!promises.length) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([Promise.allSettled(promises), timeout]);
  clearTimeout(timer);
}

export function createSchedulerService(deps: SchedulerServiceDeps) {
  const { uow, audit, clock, logger, health, enabled, driver, drainMs = 5_000 } = deps;
  const store = (): SchedulerRepository => uow.current().scheduler;
  const log = logger.child({ component: 'scheduler' });
  const entries = new Map<string, Entry>();
  let started = false;
  let stopping = false;

  // The scheduler's own line on /health: informative only, it never makes the status degraded.
  const reportHealth = () => {
    try {
      const paused = [...entries.values()].filter((e) => !e.enabled).length;
      health.update({ scheduler: { status: 'ok', enabled, running: started, tasks: entries.size, paused } });
    } catch (err) {
      log.error({ err }, 'could not report scheduler health');
    }
  };

  const entryOf = (name: string): Entry => {
    const e = entries.get(name);
    if (!e) throw notFound('Task');
    return e;
  };

  const stateOf = async (name: string): Promise<TaskState> => (await store().get(name)) ?? { name, enabled: true, runCount: 0, errors: 0, lastRun: null, lastError: null, lastDurationMs: null };

  const toTask = async (e: Entry): Promise<Task> => {
    const s = await stateOf(e.def.name);
    const next = enabled && e.enabled ? nextRunAfter(e.fields, clock.now()) : null;
    return {
      name: e.def.name,
      schedule: e.def.schedule,
      intervalMs: e.def.intervalMs,
      lastRun: s.lastRun,
      nextRun: next ? next.toISOString() : null,
      runCount: s.runCount,
      errors: s.errors,
      enabled: e.enabled,
      builtin: e.def.builtin,
      lastError: s.lastError,
      lastDurationMs: s.lastDurationMs,
    };
  };

  const arm = (e: Entry) => {
    if (!started || e.handle) return;
    const name = e.def.name;
    e.handle = driver(name, e.def.schedule, () => {
      fire(name).catch((err: unknown) => log.error({ err, task: name }, 'scheduled firing failed'));
    });
  };

  const disarm = async (e: Entry) => {
    const h = e.handle;
    e.handle = undefined;
    if (h) await h.disarm().catch((err: unknown) => log.error({ err, task: e.def.name }, 'could not stop cron task'));
  };

  const { begin } = createRunner({ store, clock, log, metrics: deps.metrics, onRun: deps.onRun });

  /** The scheduled path: what a cron tick does. Skips paused, busy and disabled tasks. */
  async function fire(name: string): Promise<FireOutcome> {
    const e = entryOf(name);
    const skip = (skipped: SkipReason) => {
      log.debug({ task: name, skipped }, 'scheduled run skipped');
      return { name, skipped };
    };
    if (!enabled) return skip('disabled');
    if (stopping) return skip('stopped');
    if (!e.enabled) return skip('paused');
    const run = begin(e);
    if (!run) return skip('running');
    return run;
  }

  const toggleTx = (actor: string, e: Entry, on: boolean) =>
    uow.run(async () => {
    await store().setEnabled(e.def.name, on);
    await audit.append({
      orgId: DEFAULT_ORG,
      actorType: 'user',
      actorId: actor,
      action: on ? 'scheduler_resume' : 'scheduler_pause',
      metadata: { task: e.def.name, changed: e.enabled !== on },
    });
  });
  const toggle = async (actor: string, e: Entry, on: boolean) => {
    await toggleTx(actor, e, on);
    e.enabled = on;
  };

  const removeWithAudit = (actor: string, name: string, builtin: boolean) =>
    uow.run(async () => {
    await store().remove(name);
    await audit.append({ orgId: DEFAULT_ORG, actorType: 'user', actorId: actor, action: 'scheduler_cancel', metadata: { task: name, builtin } });
  });

  return {
    /** Adds a task (its stored state, if a previous start left one, is kept). */
    async register(def: TaskDefinition): Promise<void> {
      if (entries.has(def.name)) throw new Error(`Task '${def.name}' is already registered`);
      const fields = parseCron(def.schedule);
      await store().ensure(def.name);
      const entry: Entry = { def, fields, enabled: (await stateOf(def.name)).enabled };
      entries.set(def.name, entry);
      if (entry.enabled) arm(entry);
      reportHealth();
    },

    list: (): Promise<Task[]> => Promise.all([...entries.values()].map(toTask)),
    get: (name: string): Promise<Task> => toTask(entryOf(name)),
    fire,

    async pause(actor: string, name: string): Promise<TaskToggled> {
      const e = entryOf(name);
      await toggle(actor, e, false);
      await disarm(e);
      reportHealth();
      return { name, enabled: false, message: 'Task paused' };
    },

    async resume(actor: string, name: string): Promise<TaskToggled> {
      const e = entryOf(name);
      await toggle(actor, e, true);
      arm(e);
      reportHealth();
      return { name, enabled: true, message: 'Task resumed' };
    },

    /** Runs now, paused or not; a run already in flight is not doubled. */
    async run(actor: string, name: string): Promise<TaskRunResult> {
      const e = entryOf(name);
      const result = (await begin(e)) ?? { name, ok: false, durationMs: 0, error: ALREADY_RUNNING };
      await audit.append({
        orgId: DEFAULT_ORG,
        actorType: 'user',
        actorId: actor,
        action: 'scheduler_run',
        result: result.ok ? 'completed' : 'failed',
        metadata: { task: name, ok: result.ok, durationMs: result.durationMs, error: result.error },
      });
      return result;
    },

    async cancel(actor: string, name: string): Promise<TaskCancelled> {
      const e = entryOf(name);
      await removeWithAudit(actor, name, e.def.builtin);
      entries.delete(name);
      await disarm(e);
      reportHealth();
      return { name, message: 'Task cancelled' };
    },

    /** Arms every enabled task (only when SCHEDULER_ENABLED); server.ts calls it after listen. */
    start(): void {
      if (started || !enabled) {
        if (!enabled) log.info('scheduler disabled (SCHEDULER_ENABLED=false): tasks never fire on their own');
        return;
      }
      started = true;
      stopping = false;
      for (const e of entries.values()) if (e.enabled) arm(e);
      reportHealth();
      log.info({ tasks: [...entries.keys()] }, 'scheduler started');
    },

    /** Disarms every schedule, then waits (bounded) for runs in flight so the database can close. */
    async stop(): Promise<void> {
      stopping = true;
      started = false;
      await Promise.all([...entries.values()].map(disarm));
      await settleWithin([...entries.values()].flatMap((e) => (e.inFlight ? [e.inFlight] : [])), drainMs);
      reportHealth();
    },

    isStarted: (): boolean => started,
  };
}

export type SchedulerService = ReturnType<typeof createSchedulerService>;
