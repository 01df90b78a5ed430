import type { PgMigration } from '../../migration.js';

const TEXT = 'TEXT COLLATE "C"';

/**
 * SQLite's migration 11 in PostgreSQL's dialect (the tick each task last fired for), plus the
 * rate-limit counters that replicas share when no Redis is configured: one row per budget and
 * client, its window's hit count and end. Rows of ended windows are swept now and then.
 */
export const pg011: PgMigration = {
  version: 11,
  name: 'replicas',
  sql: `
ALTER TABLE scheduler_tasks ADD COLUMN last_tick ${TEXT};

CREATE TABLE rate_limit_hits (
  key      ${TEXT} PRIMARY KEY,
  hits     INTEGER NOT NULL,
  reset_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX rate_limit_hits_reset ON rate_limit_hits (reset_at);
`,
};
