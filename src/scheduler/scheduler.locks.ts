/** Gives up a task's run lock. */
export type ReleaseRun = () => Promise<void>;

/**
 * Who may run a task right now, across processes. `acquire` answers a release function, or
 * undefined when the task is running somewhere else; it rejects when the database cannot be
 * asked (the runner then runs the task on this replica alone). Within one process the runner's
 * own slot already keeps runs apart; this is the part replicas share.
 */
export interface TaskLocks {
  acquire(name: string): Promise<ReleaseRun | undefined>;
  close(): Promise<void>;
}

const nothing: ReleaseRun = async () => {};

/** One process over its own database file: the runner's slot is the whole story. */
export const localTaskLocks: TaskLocks = { acquire: async () => nothing, close: async () => {} };
