import type { Migration } from '../migration.js';

/**
 * What the scheduler keeps about each task across restarts. Schedules live in code (tasks
 * are registered at start-up); a row holds only the operator's switch and the run history.
 */
export const m003: Migration = {
  version: 3,
  name: 'scheduler',
  sql: `
CREATE TABLE scheduler_tasks (
  name             TEXT PRIMARY KEY,
  enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  run_count        INTEGER NOT NULL DEFAULT 0,
  errors           INTEGER NOT NULL DEFAULT 0,
  last_run         TEXT,
  last_error       TEXT,
  last_duration_ms INTEGER
);
`,
};
