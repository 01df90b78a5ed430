import type { Migration } from '../migration.js';

/** Idempotency keys: the kept answer of a POST/DELETE, per org scope and key, for 24 h. */
export const m005: Migration = {
  version: 5,
  name: 'idempotency',
  sql: `
CREATE TABLE idempotency_keys (
  scope       TEXT NOT NULL,
  key         TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('in_progress', 'completed')),
  status      INTEGER,
  body        TEXT,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_expires ON idempotency_keys (expires_at);
`,
};
