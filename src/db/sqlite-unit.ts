import type { Db } from './open.js';

/**
 * A unit of work over one domain's repository: `run` commits when `fn` resolves and rolls
 * back when it rejects. The shape of the storage engine's `uow.run(async (tx) => …)`, so a
 * service written against it moves to the engine by swapping this one object.
 */
export interface Unit<R> {
  run<T>(fn: (repo: R) => Promise<T>): Promise<T>;
}

/**
 * The synchronous engine's unit: BEGIN IMMEDIATE … COMMIT around `fn` on the one shared
 * connection. Units run one at a time (queued), and `fn` must await only the SQLite
 * repository and the synchronous services, whose promises are already settled: no other
 * request's statements can then run between BEGIN and COMMIT, and the synchronous services'
 * own transactions nest inside it as savepoints.
 */
export function createSqliteUnit<R>(db: Db, repo: R): Unit<R> {
  let tail: Promise<unknown> = Promise.resolve();
  async function once<T>(fn: (repo: R) => Promise<T>): Promise<T> {
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = await fn(repo);
      db.exec('COMMIT');
      return result;
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }
  return {
    run<T>(fn: (repo: R) => Promise<T>): Promise<T> {
      const next = tail.then(() => once(fn));
      tail = next.catch(() => undefined);
      return next;
    },
  };
}
