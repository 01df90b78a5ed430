import type { Migration } from '../migration.js';

/**
 * Replicas: the last tick each task was fired for. A replica fires a scheduled tick only when
 * it moves this value forward (one conditional UPDATE), so one tick runs on one replica.
 */
export const m011: Migration = {
  version: 11,
  name: 'replicas',
  sql: `
ALTER TABLE scheduler_tasks ADD COLUMN last_tick TEXT;
`,
};
