import type { Migration } from '../migration.js';

/** Organizations, the audit trail, projects and agents: the platform's core tables. */
export const m001: Migration = {
  version: 1,
  name: 'core',
  sql: `
CREATE TABLE orgs (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  slug       TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
INSERT INTO orgs (id, name, slug, created_at)
VALUES ('default', 'Default', 'default', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- One hash chain per org. chain_seq is the entry's position in its org's chain
-- (contiguous: retention only ever removes a prefix), which lets deep pages be
-- addressed by range instead of OFFSET. seq is the global append order.
CREATE TABLE audit_entries (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  org_id     TEXT NOT NULL,
  chain_seq  INTEGER NOT NULL,
  timestamp  TEXT NOT NULL,
  actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'agent', 'system')),
  actor_id   TEXT NOT NULL,
  action     TEXT NOT NULL,
  result     TEXT NOT NULL,
  metadata   TEXT NOT NULL,
  hash       TEXT NOT NULL,
  risk       TEXT NOT NULL CHECK (risk IN ('low', 'medium', 'high', 'critical')),
  project_id TEXT
);
CREATE UNIQUE INDEX audit_org_chain ON audit_entries (org_id, chain_seq);
CREATE INDEX audit_org_risk ON audit_entries (org_id, risk, chain_seq);
CREATE INDEX audit_org_action ON audit_entries (org_id, action, chain_seq);
CREATE INDEX audit_org_project ON audit_entries (org_id, project_id, chain_seq);
CREATE INDEX audit_timestamp ON audit_entries (timestamp);

-- Per-org chain state: the head to extend, the anchor verification starts from
-- (64 zeros, or the hash of the last entry retention removed), and counts kept in
-- step with appends so totals never scan the table.
CREATE TABLE audit_chains (
  org_id       TEXT PRIMARY KEY,
  head_hash    TEXT NOT NULL,
  head_seq     INTEGER NOT NULL,
  anchor_hash  TEXT NOT NULL,
  anchor_seq   INTEGER NOT NULL
);

-- The trail is append-only: the database itself refuses edits, and deletions unless
-- the retention task has opened the gate inside its own transaction.
CREATE TABLE audit_retention_gate (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  open INTEGER NOT NULL
);
INSERT INTO audit_retention_gate (id, open) VALUES (1, 0);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_entries
WHEN (SELECT open FROM audit_retention_gate WHERE id = 1) = 0
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;

CREATE TABLE projects (
  id                 TEXT PRIMARY KEY,
  org_id             TEXT NOT NULL REFERENCES orgs (id),
  name               TEXT NOT NULL,
  repo               TEXT NOT NULL,
  repo_key           TEXT NOT NULL,
  default_branch     TEXT NOT NULL,
  webhook_configured INTEGER NOT NULL DEFAULT 0,
  webhook_id         INTEGER,
  linked_at          TEXT NOT NULL,
  linked_by          TEXT NOT NULL,
  -- The agent the project is linked to (its project agent, or the agent /project/link
  -- attached); the database clears it when that agent is removed.
  agent_id           TEXT REFERENCES agents (id) ON DELETE SET NULL,
  last_build         TEXT,
  created_at         TEXT NOT NULL
);
CREATE UNIQUE INDEX projects_org_repo ON projects (org_id, repo_key);
CREATE INDEX projects_repo ON projects (repo_key);
CREATE INDEX projects_agent ON projects (agent_id);

CREATE TABLE agents (
  id                  TEXT PRIMARY KEY,
  org_id              TEXT NOT NULL REFERENCES orgs (id),
  project_id          TEXT REFERENCES projects (id) ON DELETE SET NULL,
  name                TEXT NOT NULL,
  type                TEXT NOT NULL,
  status              TEXT NOT NULL,
  autonomy_level      INTEGER NOT NULL,
  task                TEXT,
  started_at          TEXT NOT NULL,
  last_activity       TEXT NOT NULL,
  created_at          TEXT NOT NULL,
  messages_processed  INTEGER NOT NULL DEFAULT 0,
  tasks_completed     INTEGER NOT NULL DEFAULT 0,
  reviews_performed   INTEGER NOT NULL DEFAULT 0,
  deploys_triggered   INTEGER NOT NULL DEFAULT 0,
  incidents_handled   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX agents_org ON agents (org_id, created_at);
CREATE INDEX agents_project ON agents (project_id);
`,
};
