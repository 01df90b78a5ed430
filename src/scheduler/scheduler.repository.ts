import { flag, rowShape } from '../db/row-shape.js';
export interface TaskState {
  name: string;
  enabled: boolean;
  runCount: number;
  errors: number;
  lastRun: string | null;
  lastError: string | null;
  lastDurationMs: number | null;
}

/** How a `scheduler_tasks` row reads as a TaskState, on either engine. */
export const TASK_STATE_ROW = rowShape<TaskState>({
  name: 'name',
  enabled: ['enabled', flag],
  runCount: 'run_count',
  errors: 'errors',
  lastRun: 'last_run',
  lastError: 'last_error',
  lastDurationMs: 'last_duration_ms',
});

export interface RunRecord {
  at: string;
  durationMs: number;
  error: string | null;
}

/** The persisted state of scheduled tasks (counters shared by every process). */
export interface SchedulerRepository {
  /** Creates the task's row (enabled, no history) unless one exists. */
  ensure(name: string): Promise<void>;
  get(name: string): Promise<TaskState | undefined>;
  setEnabled(name: string, enabled: boolean): Promise<void>;
  /** Counts a finished run (and an error when `run.error` is set) in one statement. */
  recordRun(name: string, run: RunRecord): Promise<void>;
  remove(name: string): Promise<void>;
  /**
   * Takes the scheduled tick `tick` (an ISO instant) for the task: true when this call moved
   * the task's last tick forward, false when the task is paused, gone, or the tick (or a later
   * one) was already taken, by this process or another.
   */
  claimTick(name: string, tick: string): Promise<boolean>;
}
