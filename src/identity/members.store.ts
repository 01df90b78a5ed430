import type { Db } from '../db/open.js';
import type { Member } from './identity.schemas.js';

interface Row {
  identity_id: string;
  display_name: string | null;
  role: string;
  joined_at: string;
}

const toMember = (r: Row): Member => ({ identityId: r.identity_id, displayName: r.display_name, role: r.role, joinedAt: r.joined_at });

export function createMembersStore(db: Db) {
  const SELECT = `SELECT m.identity_id, i.display_name, m.role, m.joined_at
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
    get(orgId: string, identityId: string): Member | undefined {
      const r = one.get(orgId, identityId);
      return r && toMember(r);
    },
    list: (orgId: string): Member[] => list.all(orgId).map(toMember),
    count: (orgId: string): number => count.get(orgId) as number,
    /** The orgs an identity is a member of. */
    orgsOf: (identityId: string): string[] => orgsOf.all(identityId),
    insert: (orgId: string, identityId: string, role: string, joinedAt: string): void => void insert.run(orgId, identityId, role, joinedAt),
    remove: (orgId: string, identityId: string): boolean => remove.run(orgId, identityId).changes > 0,
    moveAll(from: string, to: string): void {
      copyAll.run(to, from);
      removeAll.run(from);
    },
  };
}

export type MembersStore = ReturnType<typeof createMembersStore>;
