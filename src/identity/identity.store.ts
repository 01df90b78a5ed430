import type { Db } from '../db/open.js';
import type { Role } from './identity.schemas.js';

export interface IdentityRow {
  id: string;
  displayName: string | null;
  role: Role;
  registeredAt: string | null;
  lastSeen: string | null;
  createdAt: string;
  /** The org whose message or registration created it (null: unknown, before this was kept). */
  originOrgId: string | null;
}

export interface LinkRow {
  type: string;
  userId: string;
  identityId: string;
  username: string | null;
  linkedAt: string;
}

interface Row {
  id: string;
  display_name: string | null;
  role: Role;
  registered_at: string | null;
  last_seen: string | null;
  created_at: string;
  origin_org_id: string | null;
}

interface LRow {
  channel_type: string;
  user_id: string;
  identity_id: string;
  username: string | null;
  linked_at: string;
}

const toIdentity = (r: Row): IdentityRow => ({
  id: r.id,
  displayName: r.display_name,
  role: r.role,
  registeredAt: r.registered_at,
  lastSeen: r.last_seen,
  createdAt: r.created_at,
  originOrgId: r.origin_org_id,
});
const toLink = (r: LRow): LinkRow => ({ type: r.channel_type, userId: r.user_id, identityId: r.identity_id, username: r.username, linkedAt: r.linked_at });

/** Identities are instance-wide: no org_id here (membership lives in org_members; origin_org_id only decides visibility). */
export function createIdentityStore(db: Db) {
  const byId = db.prepare<[string], Row>('SELECT * FROM identities WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO identities (id, display_name, role, registered_at, last_seen, created_at, origin_org_id)
     VALUES (@id, @displayName, @role, @registeredAt, @lastSeen, @createdAt, @originOrgId)`,
  );
  const touch = db.prepare<[string, string]>('UPDATE identities SET last_seen = ? WHERE id = ?');
  const remove = db.prepare<[string]>('DELETE FROM identities WHERE id = ?');
  const link = db.prepare<[string, string], LRow>('SELECT * FROM identity_channels WHERE channel_type = ? AND user_id = ?');
  const linksOf = db.prepare<[string], LRow>('SELECT * FROM identity_channels WHERE identity_id = ? ORDER BY linked_at, channel_type, user_id');
  const insertLink = db.prepare(
    `INSERT INTO identity_channels (channel_type, user_id, identity_id, username, linked_at)
     VALUES (@type, @userId, @identityId, @username, @linkedAt)`,
  );
  const setUsername = db.prepare<[string, string, string]>('UPDATE identity_channels SET username = ? WHERE channel_type = ? AND user_id = ?');
  const moveLinks = db.prepare<[string, string, string]>('UPDATE identity_channels SET identity_id = ?, linked_at = ? WHERE identity_id = ?');

  return {
    get(id: string): IdentityRow | undefined {
      const r = byId.get(id);
      return r && toIdentity(r);
    },
    insert: (i: IdentityRow): void => void insert.run(i),
    touch: (id: string, at: string): void => void touch.run(at, id),
    delete: (id: string): void => void remove.run(id),
    link(type: string, userId: string): LinkRow | undefined {
      const r = link.get(type, userId);
      return r && toLink(r);
    },
    links: (identityId: string): LinkRow[] => linksOf.all(identityId).map(toLink),
    insertLink: (l: LinkRow): void => void insertLink.run(l),
    setUsername: (type: string, userId: string, username: string): void => void setUsername.run(username, type, userId),
    /** Moves every channel of `from` to `to` (a merge). */
    moveLinks: (from: string, to: string, at: string): void => void moveLinks.run(to, at, from),
  };
}

export type IdentityStore = ReturnType<typeof createIdentityStore>;
