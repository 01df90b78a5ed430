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
export function createPgStamp(pool: pg.Pool): ChangeStamp {
  return { current: async () => (await scalar<string>(pool, SNAPSHOT))! };
}
