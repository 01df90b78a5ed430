import pg from 'pg';
import type { ReleaseRun, TaskLocks } from './scheduler.locks.js';

// The first half of a two-key advisory lock: its key space never meets the one-key locks
// (units of work, migrations) nor another application's.
const LOCK_CLASS = 0x5343; // "SC"

/**
 * PostgreSQL: a session advisory lock per task, held for the length of the run on one
 * connection of this process's own, outside the pool (a run's own work needs pool connections,
 * and holding one per run could starve a small pool). A replica that dies (even by kill -9)
 * drops the connection and with it its locks, so a crashed run never blocks the task; a
 * connection lost while runs are under way likewise frees their locks. Statements on the
 * connection go one at a time.
 */
export function createPgTaskLocks(url: string): TaskLocks {
  let connection: Promise<pg.Client> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const connect = (): Promise<pg.Client> => {
    if (connection) return connection;
    const client = new pg.Client({ connectionString: url, application_name: 'codespar-api-task-locks' });
    const opened: Promise<pg.Client> = client.connect().then(() => client);
    const drop = () => {
      if (connection === opened) connection = undefined;
      void client.end().catch(() => undefined);
    };
    client.on('error', drop);
    client.on('end', drop);
    opened.catch(drop);
    connection = opened;
    return opened;
  };

  /** One statement on the lock connection, after those before it; answers the connection it ran on. */
  const query = <T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<{ client: pg.Client; rows: T[] }> => {
    const run = queue.then(async () => {
      const client = await connect();
      return { client, rows: (await client.query<T>(text, values)).rows };
    });
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    async acquire(name) {
      const { client, rows } = await query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [LOCK_CLASS, name]);
      if (!rows[0]?.ok) return undefined;
      return async () => {
        // Only the connection that took the lock can give it up; a lost one already has.
        if ((await connection?.catch(() => undefined)) !== client) return;
        await query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, name]).catch(() => undefined);
      };
    },
    async close() {
      const open = connection;
      connection = undefined;
      await queue;
      const client = await open?.catch(() => undefined);
      await client?.end().catch(() => undefined);
    },
  };
}
