import type { Db } from '../db/open.js';
import { IDENTITY_ROW, LINK_ROW, type IdentityRepository, type IdentityRow, type LinkRow } from './identity.repository.js';

type Row = Record<string, unknown>;
type LRow = Record<string, unknown>;
const toIdentity = (r: Row): IdentityRow => IDENTITY_ROW.read(r);
const toLink = (r: LRow): LinkRow => LINK_ROW.read(r);

/** Identities are instance-wide: no org_id here (membership lives in org_members; origin_org_id only decides visibility). */
export function createIdentitySqlite(db: Db): IdentityRepository {
  const byId = db.prepare<[string], Row>(`SELECT ${IDENTITY_ROW.select()} FROM identities WHERE id = ?`);
  const insert = db.prepare(
    `INSERT INTO identities (id, display_name, role, registered_at, last_seen, created_at, origin_org_id)
     VALUES (@id, @displayName, @role, @registeredAt, @lastSeen, @createdAt, @originOrgId)`,
  );
  const touch = db.prepare<[string, string]>('UPDATE identities SET last_seen = ? WHERE id = ?');
  const remove = db.prepare<[string]>('DELETE FROM identities WHERE id = ?');
  const link = db.prepare<[string, string], LRow>(`SELECT ${LINK_ROW.select()} FROM identity_channels WHERE channel_type = ? AND user_id = ?`);
  const linksOf = db.prepare<[string], LRow>(`SELECT ${LINK_ROW.select()} FROM identity_channels WHERE identity_id = ? ORDER BY linked_at, channel_type, user_id`);
  const insertLink = db.prepare(
    `INSERT INTO identity_channels (channel_type, user_id, identity_id, username, linked_at)
     VALUES (@type, @userId, @identityId, @username, @linkedAt)`,
  );
  const setUsername = db.prepare<[string, string, string]>('UPDATE identity_channels SET username = ? WHERE channel_type = ? AND user_id = ?');
  const moveLinks = db.prepare<[string, string, string]>('UPDATE identity_channels SET identity_id = ?, linked_at = ? WHERE identity_id = ?');

  return {
    async get(id) {
      const r = byId.get(id);
      return r && toIdentity(r);
    },
    insert: async (i) => void insert.run(i),
    touch: async (id, at) => void touch.run(at, id),
    delete: async (id) => void remove.run(id),
    async link(type, userId) {
      const r = link.get(type, userId);
      return r && toLink(r);
    },
    links: async (identityId) => linksOf.all(identityId).map(toLink),
    insertLink: async (l) => void insertLink.run(l),
    setUsername: async (type, userId, username) => void setUsername.run(username, type, userId),
    moveLinks: async (from, to, at) => void moveLinks.run(to, at, from),
  };
}
