import type { Migration } from '../migration.js';

/**
 * Per-org, per-risk entry counts kept in step with appends and retention, so the total of a
 * risk-filtered audit page is a lookup instead of a count over the index.
 */
export const m006: Migration = {
  version: 6,
  name: 'audit-risk-counts',
  sql: `
CREATE TABLE audit_risk_counts (
  org_id TEXT NOT NULL,
  risk   TEXT NOT NULL,
  n      INTEGER NOT NULL,
  PRIMARY KEY (org_id, risk)
) WITHOUT ROWID;
INSERT INTO audit_risk_counts (org_id, risk, n)
SELECT org_id, risk, COUNT(*) FROM audit_entries GROUP BY org_id, risk;
`,
};
