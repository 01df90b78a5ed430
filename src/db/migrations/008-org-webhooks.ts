import type { Migration } from '../migration.js';

/**
 * Org webhook secrets (sealed with SECRETS_KEY when set), body digests for the 72-hour
 * replay rule, and per-org delivery bookkeeping for GET /api/webhooks.
 */
export const m008: Migration = {
  version: 8,
  name: 'org-webhooks',
  sql: `
CREATE TABLE org_webhook_secrets (
  org_id              TEXT PRIMARY KEY REFERENCES orgs (id),
  secret              TEXT NOT NULL,
  created_at          TEXT NOT NULL,
  previous_secret     TEXT,
  previous_expires_at TEXT
);

-- target is the URL a body came to: '' for the instance URL, else the org id.
CREATE TABLE webhook_payloads (
  target      TEXT NOT NULL,
  body_sha256 TEXT NOT NULL,
  delivery_id TEXT,
  received_at TEXT NOT NULL,
  PRIMARY KEY (target, body_sha256)
) WITHOUT ROWID;
CREATE INDEX webhook_payloads_received ON webhook_payloads (received_at);

CREATE TABLE webhook_receipts (
  org_id      TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX webhook_receipts_org ON webhook_receipts (org_id, received_at);

CREATE TABLE org_webhook_activity (
  org_id           TEXT PRIMARY KEY,
  last_delivery_at TEXT NOT NULL
) WITHOUT ROWID;
`,
};
