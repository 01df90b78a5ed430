import type { Migration } from '../migration.js';

/**
 * Deploy reports from CI jobs, their X-Deploy-Id de-duplication, approvals with their votes,
 * and the project's latest deploy kept beside its latest build (one read per project list).
 */
export const m010: Migration = {
  version: 10,
  name: 'deploys-approvals',
  sql: `
CREATE TABLE deploys (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  id          TEXT NOT NULL UNIQUE,
  org_id      TEXT NOT NULL,
  project_id  TEXT NOT NULL,
  environment TEXT NOT NULL,
  status      TEXT NOT NULL,
  sha         TEXT,
  url         TEXT,
  message     TEXT,
  source      TEXT,
  at          TEXT NOT NULL
);
CREATE INDEX deploys_org ON deploys (org_id, seq);
CREATE INDEX deploys_project ON deploys (project_id, seq);

-- target is the URL a report came to: '' for the instance URL, else the org id.
CREATE TABLE deploy_deliveries (
  target      TEXT NOT NULL,
  deploy_id   TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (target, deploy_id)
) WITHOUT ROWID;
CREATE INDEX deploy_deliveries_received ON deploy_deliveries (received_at);

ALTER TABLE projects ADD COLUMN last_deploy TEXT;

-- status is what was decided: pending, approved or rejected. Expiry is read from expires_at.
CREATE TABLE approvals (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  id           TEXT NOT NULL UNIQUE,
  org_id       TEXT NOT NULL,
  action       TEXT NOT NULL,
  description  TEXT NOT NULL,
  project_id   TEXT,
  agent_id     TEXT,
  requested_by TEXT NOT NULL,
  quorum       INTEGER NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  created_at   TEXT NOT NULL,
  expires_at   TEXT NOT NULL,
  decided_at   TEXT
);
CREATE INDEX approvals_org ON approvals (org_id, seq);

CREATE TABLE approval_votes (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  approval_id TEXT NOT NULL REFERENCES approvals (id) ON DELETE CASCADE,
  voter       TEXT NOT NULL,
  vote        TEXT NOT NULL CHECK (vote IN ('approve', 'reject')),
  comment     TEXT,
  at          TEXT NOT NULL,
  UNIQUE (approval_id, voter)
);
`,
};
