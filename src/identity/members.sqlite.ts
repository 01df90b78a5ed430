import type { Db } from '../db/open.js';
import type { Member } from './identity.schemas.js';
import { MEMBER_ROW, type MembersRepository } from './identity.repository.js';

type Row = Record<string, unknown>;
const toMember = (r: Row): Member => MEMBER_ROW.read(r);

export function createMembersSqlite(db: Db): MembersRepository {
  const SELECT = `SELECT ${MEMBER_ROW.select()}
    FROM org_members m JOIN identities i ON i.id = m.identity_id`;
  const one = db.prepare<[string, string], Row>(`${SELECT} WHERE m.org_id = ? AND m.identity_id = ?`);
  const list = db.prepare<[string], Row>(`${SELECT} WHERE m.org_id = ? ORDER BY m.joined_at, m.identity_id`);
  const count = db.prepare<[string]>('SELECT COUNT(*) FROM org_members WHERE org_id = ?').pluck();
  const insert = db.prepare<[string, string, string, string]>('INSERT INTO org_members (org_id, identity_id, role, joined_at) VALUES (?, ?, ?, ?)');
  const remove = db.prepare<[string, string]>('DELETE FROM org_members WHERE org_id = ? AND identity_id = ?');
  // A merge keeps the memberships of the merged identity; where both were members, the
  // surviving identity's own membership stays as it is.
  const copyAll = db.prepare<[string, string]>(
    `INSERT OR IGNORE INTO org_members (org_id, identity_id, role, joined_at)
     SELECT org_id, ?, role, joined_at FROM org_members WHERE identity_id = ?`,
  );
  const removeAll = db.prepare<[string]>('DELETE FROM org_members WHERE identity_id = ?');
  const orgsOf = db.prepare<[string], string>('SELECT org_id FROM org_members WHERE identity_id = ? ORDER BY org_id').pluck();

  return {
    async get(orgId, identityId) {
      const r = one.get(orgId, identityId);
      return r && toMember(r);
    },
    list: async (orgId) => list.all(orgId).map(toMember),
    count: async (orgId) => count.get(orgId) as number,
    orgsOf: async (identityId) => orgsOf.all(identityId),
    insert: async (orgId, identityId, role, joinedAt) => void insert.run(orgId, identityId, role, joinedAt),
    remove: async (orgId, identityId) => remove.run(orgId, identityId).changes > 0,
    async moveAll(from, to) {
      copyAll.run(to, from);
      removeAll.run(from);
    },
  };
}
