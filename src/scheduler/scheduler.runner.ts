import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { SchedulerRepository } from './scheduler.repository.js';
import type { TaskRunResult } from './scheduler.schemas.js';
import type { Metrics } from '../metrics/metrics.js';
import { localTaskLocks, type ReleaseRun, type TaskLocks } from './scheduler.locks.js';

/** One task as the runner sees it: its handler and the run in flight, if any. */
export interface RunSlot {
  def: { name: string; handler: () => unknown };
  /** Resolves undefined when the task turned out to be running on another replica. */
  inFlight?: Promise<TaskRunResult | undefined>;
}

// Stored and shown as is: keep a runaway message from bloating the row and the API.
const MAX_ERROR_LENGTH = 1000;

const messageOf = (err: unknown): string =>
  ((err instanceof Error ? err.message : String(err)) || 'Task failed').slice(0, MAX_ERROR_LENGTH);

export function createRunner({
  store,
  clock,
  log,
  metrics,
  locks = localTaskLocks,
  onRun,
}: {
  store: () => SchedulerRepository;
  clock: Clock;
  log: Logger;
  metrics?: Pick<Metrics, 'schedulerRun'>;
  locks?: TaskLocks;
  onRun?: (r: TaskRunResult) => void;
}) {
  /** Runs the handler, times it, records the outcome. Never throws: one task cannot hurt another. */
  async function execute(slot: RunSlot): Promise<TaskRunResult> {
    const { name } = slot.def;
    const at = clock.now().toISOString();
    const t0 = performance.now();
    let error: string | null = null;
    try {
      await slot.def.handler();
    } catch (err) {
      error = messageOf(err);
      log.error({ err, task: name }, 'scheduled task failed');
    }
    // Durations are measured on the monotonic clock; only timestamps come from `clock`.
    const durationMs = Math.round(performance.now() - t0);
    try {
      await store().recordRun(name, { at, durationMs, error });
    } catch (err) {
      log.error({ err, task: name }, 'could not record the task run');
    }
    metrics?.schedulerRun(name, error === null);
    const result = { name, ok: error === null, durationMs, error };
    onRun?.(result);
    return result;
  }

  /** The run under the task's shared lock; undefined when another replica holds it. */
  async function locked(slot: RunSlot): Promise<TaskRunResult | undefined> {
    let release: ReleaseRun | undefined;
    try {
      release = await locks.acquire(slot.def.name);
    } catch (err) {
      // The health check must still run and report the outage; nothing shared can be written anyway.
      log.warn({ err, task: slot.def.name }, 'task lock unavailable (database unreachable): running on this replica only');
      release = async () => {};
    }
    if (!release) return undefined;
    try {
      return await execute(slot);
    } finally {
      await release();
    }
  }

  return {
    /**
     * Starts a run unless one is in flight in this process (then undefined): never two runs of
     * a task at once. The promise resolves undefined when the task is running on another replica.
     */
    begin(slot: RunSlot): Promise<TaskRunResult | undefined> | undefined {
      if (slot.inFlight) return undefined;
      const run = locked(slot).finally(() => {
        slot.inFlight = undefined;
      });
      slot.inFlight = run;
      return run;
    },
  };
}
