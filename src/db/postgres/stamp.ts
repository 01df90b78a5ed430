import type pg from 'pg';
import type { ChangeStamp } from '../engine.js';
import { scalar, stmt } from './sql.js';

const SNAPSHOT = stmt('stamp:snapshot', 'SELECT pg_current_snapshot()::text');

/**
 * The read cache's stamp: the server's current snapshot, `xmin:xmax:in-progress ids`. A
 * snapshot says which transactions' writes are visible; every commit (on any connection, of
 * any process) makes one more visible, so the snapshot text changes: before the commit the
 * writer was either in the in-progress list or at or above xmax, after it neither. Visibility
 * only grows, so an old text never comes back. A reader that takes the stamp BEFORE reading
 * therefore caches an answer that holds at least everything committed when the stamp was
 * read, and any later commit moves the stamp away from it: a stale answer is never served.
 * Writes in other databases of the same server move it too (transaction ids are
 * server-wide): a needless cache miss, never a wrong answer. Read-only transactions take
 * no transaction id and leave it alone.
 */
export function createPgStamp(pool: Pick<pg.Pool, 'query'>): ChangeStamp {
  // Concurrent readers share round trips, but never a read that began before they asked (its
  // snapshot could predate a commit their client has already seen acknowledged): whoever asks
  // while a read is in flight joins the one read that starts when it ends.
  let inFlight: Promise<string> | undefined;
  let queued: Promise<string> | undefined;
  const start = (): Promise<string> => {
    const read = scalar<string>(pool, SNAPSHOT).then((s) => s!);
    inFlight = read;
    const done = () => {
      if (inFlight === read) inFlight = undefined;
    };
    read.then(done, done);
    return read;
  };
  const settled = () => undefined;
  return {
    current() {
      if (!inFlight) return start();
      queued ??= inFlight.then(settled, settled).then(() => {
        queued = undefined;
        return start();
      });
      return queued;
    },
  };
}
