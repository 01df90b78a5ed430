import { exec, one, rows, stmt, type Queryable } from '../db/postgres/sql.js';
import type { Member } from './identity.schemas.js';
import { IDENTITY_ROW, LINK_ROW, MEMBER_ROW, type IdentityRepository, type IdentityRow, type LinkRow, type MembersRepository } from './identity.repository.js';

const ID_COLUMNS = IDENTITY_ROW.select();
const LINK_COLUMNS = LINK_ROW.select();

const I = {
  byId: stmt('ident:byId', `SELECT ${ID_COLUMNS} FROM identities WHERE id = $1`),
  insert: stmt(
    'ident:insert',
    `INSERT INTO identities (id, display_name, role, registered_at, last_seen, created_at, origin_org_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  ),
  touch: stmt('ident:touch', 'UPDATE identities SET last_seen = $1 WHERE id = $2'),
  remove: stmt('ident:remove', 'DELETE FROM identities WHERE id = $1'),
  link: stmt('ident:link', `SELECT ${LINK_COLUMNS} FROM identity_channels WHERE channel_type = $1 AND user_id = $2`),
  links: stmt('ident:links', `SELECT ${LINK_COLUMNS} FROM identity_channels WHERE identity_id = $1 ORDER BY linked_at, channel_type, user_id`),
  insertLink: stmt(
    'ident:insertLink',
    'INSERT INTO identity_channels (channel_type, user_id, identity_id, username, linked_at) VALUES ($1, $2, $3, $4, $5)',
  ),
  setUsername: stmt('ident:setUsername', 'UPDATE identity_channels SET username = $1 WHERE channel_type = $2 AND user_id = $3'),
  moveLinks: stmt('ident:moveLinks', 'UPDATE identity_channels SET identity_id = $1, linked_at = $2 WHERE identity_id = $3'),
};

export function createIdentityPg(q: Queryable): IdentityRepository {
  return {
    get: (id) => one<IdentityRow>(q, I.byId, [id]),
    insert: async (i) =>
      void (await exec(q, I.insert, [i.id, i.displayName, i.role, i.registeredAt, i.lastSeen, i.createdAt, i.originOrgId])),
    touch: async (id, at) => void (await exec(q, I.touch, [at, id])),
    delete: async (id) => void (await exec(q, I.remove, [id])),
    link: (type, userId) => one<LinkRow>(q, I.link, [type, userId]),
    links: (identityId) => rows<LinkRow>(q, I.links, [identityId]),
    insertLink: async (l) => void (await exec(q, I.insertLink, [l.type, l.userId, l.identityId, l.username, l.linkedAt])),
    setUsername: async (type, userId, username) => void (await exec(q, I.setUsername, [username, type, userId])),
    moveLinks: async (from, to, at) => void (await exec(q, I.moveLinks, [to, at, from])),
  };
}

const MEMBER = `SELECT ${MEMBER_ROW.select()}
  FROM org_members m JOIN identities i ON i.id = m.identity_id`;
const M = {
  one: stmt('members:one', `${MEMBER} WHERE m.org_id = $1 AND m.identity_id = $2`),
  list: stmt('members:list', `${MEMBER} WHERE m.org_id = $1 ORDER BY m.joined_at, m.identity_id`),
  count: stmt('members:count', 'SELECT COUNT(*) AS n FROM org_members WHERE org_id = $1'),
  insert: stmt('members:insert', 'INSERT INTO org_members (org_id, identity_id, role, joined_at) VALUES ($1, $2, $3, $4)'),
  remove: stmt('members:remove', 'DELETE FROM org_members WHERE org_id = $1 AND identity_id = $2'),
  // A merge keeps the memberships of the merged identity; where both were members, the
  // surviving identity's own membership stays as it is.
  copyAll: stmt(
    'members:copyAll',
    `INSERT INTO org_members (org_id, identity_id, role, joined_at)
     SELECT org_id, $1, role, joined_at FROM org_members WHERE identity_id = $2
     ON CONFLICT (org_id, identity_id) DO NOTHING`,
  ),
  removeAll: stmt('members:removeAll', 'DELETE FROM org_members WHERE identity_id = $1'),
  orgsOf: stmt('members:orgsOf', 'SELECT org_id AS "orgId" FROM org_members WHERE identity_id = $1 ORDER BY org_id'),
};

export function createMembersPg(q: Queryable): MembersRepository {
  return {
    get: (orgId, identityId) => one<Member>(q, M.one, [orgId, identityId]),
    list: (orgId) => rows<Member>(q, M.list, [orgId]),
    count: async (orgId) => (await one<{ n: number }>(q, M.count, [orgId]))?.n ?? 0,
    orgsOf: async (identityId) => (await rows<{ orgId: string }>(q, M.orgsOf, [identityId])).map((r) => r.orgId),
    insert: async (orgId, identityId, role, joinedAt) => void (await exec(q, M.insert, [orgId, identityId, role, joinedAt])),
    remove: async (orgId, identityId) => (await exec(q, M.remove, [orgId, identityId])) > 0,
    async moveAll(from, to) {
      await exec(q, M.copyAll, [to, from]);
      await exec(q, M.removeAll, [from]);
    },
  };
}
