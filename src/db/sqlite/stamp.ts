import type { Db } from '../open.js';
import type { ChangeStamp } from '../engine.js';

/**
 * A stamp that changes whenever the database may have changed: `total_changes()` counts
 * every row this connection wrote, `data_version` moves when another connection commits to
 * the file, and `ended` counts units of work that ended (a rolled-back unit's changes are
 * counted but undone). All O(1) and synchronous.
 */
export function createSqliteStamp(db: Db, ended: () => number): ChangeStamp {
  const changes = db.prepare('SELECT total_changes()').pluck();
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  return { current: () => `${dataVersion.get() as number}:${changes.get() as number}:${ended()}` };
}
