import type { Migration } from '../migration.js';

/** Channel settings, memory documents and conversations, identities and org members. */
export const m002: Migration = {
  version: 2,
  name: 'channels-memory-identity',
  sql: `
-- Settings stored through POST /api/channels/configure; they win over the environment.
-- The JSON holds secrets: it is read only by the channels service and never returned.
CREATE TABLE channel_settings (
  name          TEXT PRIMARY KEY,
  settings      TEXT NOT NULL,
  configured_at TEXT NOT NULL
);

-- seq keeps insertion order for tie-breaks; the embedding is a Float32Array BLOB.
CREATE TABLE memory_documents (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  org_id     TEXT NOT NULL REFERENCES orgs (id),
  project_id TEXT,
  source     TEXT NOT NULL,
  text       TEXT NOT NULL,
  embedding  BLOB NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX memory_documents_org_project ON memory_documents (org_id, project_id);

-- Inbound channel messages. The sender is kept as the channel's own user id, so the
-- figures stay right when an auto-created identity is later merged into another.
CREATE TABLE conversations (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  id          TEXT NOT NULL UNIQUE,
  org_id      TEXT NOT NULL REFERENCES orgs (id),
  project_id  TEXT,
  channel     TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  username    TEXT,
  text        TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX conversations_org_channel ON conversations (org_id, channel);
CREATE INDEX conversations_received ON conversations (received_at);

-- Instance-wide: one person, many orgs through membership. registered_at is NULL for an
-- identity auto-created from an inbound message (the only kind a registration may merge).
CREATE TABLE identities (
  id            TEXT PRIMARY KEY,
  display_name  TEXT,
  role          TEXT NOT NULL,
  registered_at TEXT,
  last_seen     TEXT,
  created_at    TEXT NOT NULL
);

CREATE TABLE identity_channels (
  channel_type TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  identity_id  TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
  username     TEXT,
  linked_at    TEXT NOT NULL,
  PRIMARY KEY (channel_type, user_id)
);
CREATE INDEX identity_channels_identity ON identity_channels (identity_id);

CREATE TABLE org_members (
  org_id      TEXT NOT NULL REFERENCES orgs (id),
  identity_id TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
  role        TEXT NOT NULL,
  joined_at   TEXT NOT NULL,
  PRIMARY KEY (org_id, identity_id)
);
CREATE INDEX org_members_identity ON org_members (identity_id);
`,
};
