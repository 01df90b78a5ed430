import type pg from 'pg';
import type { Engine } from '../db/engine.js';
import type { Logger } from '../logger.js';

/** Gives up a task's run lock. */
export type ReleaseRun = () => Promise<void>;

/**
 * Who may run a task right now, across processes. `acquire` answers a release function, or
 * undefined when the task is running somewhere else. Within one process the runner's own slot
 * already keeps runs apart; this is the part replicas share.
 */
export interface TaskLocks {
  acquire(name: string): Promise<ReleaseRun | undefined>;
}

const nothing: ReleaseRun = async () => {};

/** One process over its own database file: the runner's slot is the whole story. */
export const localTaskLocks: TaskLocks = { acquire: async () => nothing };

// The first half of a two-key advisory lock: its key space never meets the one-key locks
// (units of work, migrations) nor another application's.
const LOCK_CLASS = 0x5343; // "SC"

/**
 * PostgreSQL: a session advisory lock per task, held on a connection of its own for the
 * length of the run. A replica that dies (even by kill -9) drops its connection and with it
 * the lock, so a crashed run never blocks the task. When the database cannot be reached the
 * run goes ahead on this replica alone: the health check must still run and report the outage,
 * and nothing it would share can be written anyway.
 */
export function createPgTaskLocks(pool: pg.Pool, logger: Logger): TaskLocks {
  return {
    async acquire(name) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        logger.warn({ err, task: name }, 'task lock unavailable (database unreachable): running on this replica only');
        return nothing;
      }
      try {
        const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [LOCK_CLASS, name]);
        if (!r.rows[0]?.ok) {
          client.release();
          return undefined;
        }
      } catch (err) {
        client.release(true);
        logger.warn({ err, task: name }, 'task lock unavailable (database unreachable): running on this replica only');
        return nothing;
      }
      return async () => {
        // An unlock that fails leaves the lock on a connection that is then discarded (closing it frees the lock).
        const ok = await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, name]).then(
          () => true,
          () => false,
        );
        client.release(!ok);
      };
    },
  };
}

/** The locks for the engine in use: shared through PostgreSQL, else local. */
export function taskLocksFor(engine: Engine, logger: Logger): TaskLocks {
  const pool = (engine as Engine & { pool?: pg.Pool }).pool;
  return engine.kind === 'postgres' && pool ? createPgTaskLocks(pool, logger) : localTaskLocks;
}
