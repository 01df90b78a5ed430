import type { Migration } from '../migration.js';

/** Delivery ids already handled, so a redelivered webhook never runs twice (pruned after 7 days). */
export const m004: Migration = {
  version: 4,
  name: 'webhook-deliveries',
  sql: `
CREATE TABLE webhook_deliveries (
  delivery_id TEXT PRIMARY KEY,
  event       TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
`,
};
