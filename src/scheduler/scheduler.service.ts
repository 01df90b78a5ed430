import type { Clock } from '../clock.js';
import type { UnitOfWork } from '../db/engine.js';
import type { Logger } from '../logger.js';
import type { AuditService } from '../audit/audit.service.js';
import type { HealthService } from '../health/health.service.js';
import { AppError, notFound } from '../http/errors.js';
import { DEFAULT_ORG } from '../http/org-scope.js';
import { nextRunAfter, nominalInterval, parseCron, type CronFields } from './scheduler.cron.js';
import type { CronDriver, CronHandle } from './scheduler.driver.js';
import type { SchedulerRepository, TaskState } from './scheduler.repository.js';
import { createRunner, type RunSlot } from './scheduler.runner.js';
import type { TaskLocks } from './scheduler.locks.js';
import type { Task, TaskCancelled, TaskRunResult, TaskToggled } from './scheduler.schemas.js';
import type { Metrics } from '../metrics/metrics.js';

export interface TaskDefinition {
  name: string;
  /** Cron expression (5 fields, or 6 with seconds first), read in UTC. */
  schedule: string;
  intervalMs: number;
  builtin: boolean;
  handler: () => unknown;
  /**
   * What a replica does on a tick another replica took (not counted as a run): for a task whose
   * work is partly per process, such as checking this process's own connections.
   */
  local?: () => Promise<void>;
}

/** Why a scheduled firing did not run the task. */
export type SkipReason = 'disabled' | 'paused' | 'running' | 'stopped' | 'taken' | 'cancelled';
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
  /** Who may run a task now, across replicas (the runner's slot alone when absent). */
  locks?: TaskLocks;
  /** Operator overrides of tasks' schedules, by task name (SCHEDULER_SCHEDULES). */
  schedules?: Readonly<Record<string, string>>;
  /** Every finished run (the scheduler.run live event). */
  onRun?: (result: TaskRunResult) => void;
}

interface Entry extends RunSlot {
  def: TaskDefinition;
  fields: CronFields;
  /** Mirrors the stored switch: what decides a firing when the database cannot be asked (health-check must run then). */
  enabled: boolean;
  handle?: CronHandle;
}

export const ALREADY_RUNNING = 'Task is already running';

const taskRunning = () => new AppError('TASK_RUNNING', ALREADY_RUNNING);

/** A tick's identity, the same on every replica: the scheduled instant to the second. */
const tickOf = (at: Date): string => new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString();

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

  /** A task whose row is gone was cancelled (here or on another replica): it stops here too. */
  const forget = async (e: Entry) => {
    if (entries.get(e.def.name) === e) entries.delete(e.def.name);
    await disarm(e);
    reportHealth();
  };

  /**
   * The stored state, shared by every replica; it refreshes this process's mirror of the
   * switch. Undefined when the row is gone: the task was cancelled, here or elsewhere.
   */
  const refreshed = async (e: Entry): Promise<TaskState | undefined> => {
    const s = await store().get(e.def.name);
    if (!s) {
      await forget(e);
      return undefined;
    }
    e.enabled = s.enabled;
    return s;
  };

  const sharedState = async (e: Entry): Promise<TaskState> => {
    const s = await refreshed(e);
    if (!s) throw notFound('Task');
    return s;
  };

  const toTask = (e: Entry, s: TaskState): Task => {
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
    e.handle = driver(name, e.def.schedule, (at) => {
      fire(name, at).catch((err: unknown) => log.error({ err, task: name }, 'scheduled firing failed'));
    });
  };

  const disarm = async (e: Entry) => {
    const h = e.handle;
    e.handle = undefined;
    if (h) await h.disarm().catch((err: unknown) => log.error({ err, task: e.def.name }, 'could not stop cron task'));
  };

  const { begin } = createRunner({ store, clock, log, metrics: deps.metrics, locks: deps.locks, onRun: deps.onRun });

  /**
   * Whether this replica takes the tick: the stored switch and the tick claim in one statement,
   * so one tick runs on one replica and a pause or cancel anywhere holds everywhere. Without
   * a tick (this process's own start-up check) only the switch is read. When the database
   * cannot answer, the mirror of the switch decides: the health check must run to report it.
   */
  async function admit(e: Entry, tick: Date | undefined): Promise<SkipReason | undefined> {
    try {
      if (tick && (await store().claimTick(e.def.name, tickOf(tick)))) return undefined;
      const s = await refreshed(e);
      if (!s) return 'cancelled';
      if (!s.enabled) return 'paused';
      return tick ? 'taken' : undefined;
    } catch (err) {
      log.warn({ err, task: e.def.name }, 'tick claim unavailable: the local switch decides');
      return e.enabled ? undefined : 'paused';
    }
  }

  /** Firings past their start (claiming or running): stop() waits for them, as for runs. */
  const firing = new Set<Promise<FireOutcome>>();

  /** The scheduled path: what a cron tick does. Skips paused, busy, disabled and taken ticks. */
  function fire(name: string, tick?: Date): Promise<FireOutcome> {
    const attempt = fireNow(name, tick);
    firing.add(attempt);
    const done = () => void firing.delete(attempt);
    attempt.then(done, done);
    return attempt;
  }

  async function fireNow(name: string, tick?: Date): Promise<FireOutcome> {
    const e = entryOf(name);
    const skip = (skipped: SkipReason) => {
      log.debug({ task: name, skipped }, 'scheduled run skipped');
      return { name, skipped };
    };
    if (!enabled) return skip('disabled');
    if (stopping) return skip('stopped');
    if (e.inFlight) return skip('running');
    const refused = await admit(e, tick);
    if (refused === 'taken' && e.def.local) await e.def.local().catch((err: unknown) => log.error({ err, task: name }, 'local part of the task failed'));
    if (refused) return skip(refused);
    const run = begin(e);
    const result = run && (await run);
    return result ?? skip('running');
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
    async register(task: TaskDefinition): Promise<void> {
      if (entries.has(task.name)) throw new Error(`Task '${task.name}' is already registered`);
      const override = deps.schedules?.[task.name];
      const fields = parseCron(override ?? task.schedule);
      const def = override ? { ...task, schedule: override, intervalMs: nominalInterval(fields, clock.now()) ?? task.intervalMs } : task;
      await store().ensure(def.name);
      const entry: Entry = { def, fields, enabled: (await stateOf(def.name)).enabled };
      entries.set(def.name, entry);
      arm(entry);
      reportHealth();
    },

    /** Tasks cancelled on another replica drop out as they are found gone. */
    async list(): Promise<Task[]> {
      const tasks = await Promise.all(
        [...entries.values()].map(async (e) => {
          const s = await refreshed(e);
          return s && toTask(e, s);
        }),
      );
      return tasks.filter((t): t is Task => t !== undefined);
    },
    async get(name: string): Promise<Task> {
      const e = entryOf(name);
      return toTask(e, await sharedState(e));
    },
    fire,

    async pause(actor: string, name: string): Promise<TaskToggled> {
      const e = entryOf(name);
      await sharedState(e);
      await toggle(actor, e, false);
      reportHealth();
      return { name, enabled: false, message: 'Task paused' };
    },

    async resume(actor: string, name: string): Promise<TaskToggled> {
      const e = entryOf(name);
      await sharedState(e);
      await toggle(actor, e, true);
      reportHealth();
      return { name, enabled: true, message: 'Task resumed' };
    },

    /** Runs now, here, paused or not; a run in flight on any replica is not doubled (409). */
    async run(actor: string, name: string): Promise<TaskRunResult> {
      const e = entryOf(name);
      await sharedState(e);
      const result = await begin(e);
      if (!result) throw taskRunning();
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
      await sharedState(e);
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
      // Paused tasks stay armed: the switch is shared, and a resume on another replica must reach this one.
      for (const e of entries.values()) arm(e);
      reportHealth();
      log.info({ tasks: [...entries.keys()] }, 'scheduler started');
    },

    /** Disarms every schedule, then waits (bounded) for runs in flight so the database can close. */
    async stop(): Promise<void> {
      stopping = true;
      started = false;
      await Promise.all([...entries.values()].map(disarm));
      await settleWithin([...firing, ...[...entries.values()].flatMap((e) => (e.inFlight ? [e.inFlight] : []))], drainMs);
      reportHealth();
    },

    isStarted: (): boolean => started,
  };
}

export type SchedulerService = ReturnType<typeof createSchedulerService>;
