import type { Db } from './open.js';

/**
 * A stamp that changes whenever the database may have changed: `total_changes()` counts
 * every row this connection wrote (ours, and anything else run on it), `data_version`
 * moves when another connection commits to the file. Both are O(1) to read.
 */
export function createDbVersion(db: Db): () => string {
  const changes = db.prepare('SELECT total_changes()').pluck();
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  return () => `${dataVersion.get() as number}:${changes.get() as number}`;
}
