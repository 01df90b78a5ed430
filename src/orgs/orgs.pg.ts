import { exec, one, rows, scalar, stmt, type Queryable } from '../db/postgres/sql.js';
import { ORG_ROW, type OrgRow, type OrgsRepository } from './orgs.repository.js';

const COLUMNS = ORG_ROW.select();
const S = {
  byId: stmt('orgs:byId', `SELECT ${COLUMNS} FROM orgs WHERE id = $1`),
  exists: stmt('orgs:exists', 'SELECT 1 FROM orgs WHERE id = $1'),
  bySlug: stmt('orgs:bySlug', 'SELECT 1 FROM orgs WHERE slug = $1'),
  all: stmt('orgs:all', `SELECT ${COLUMNS} FROM orgs ORDER BY created_at, id`),
  ids: stmt('orgs:ids', 'SELECT id FROM orgs ORDER BY id'),
  insert: stmt('orgs:insert', 'INSERT INTO orgs (id, name, slug, created_at) VALUES ($1, $2, $3, $4)'),
};

export function createOrgsPg(q: Queryable): OrgsRepository {
  return {
    get: (id) => one<OrgRow>(q, S.byId, [id]),
    exists: async (id) => (await scalar(q, S.exists, [id])) !== undefined,
    slugTaken: async (slug) => (await scalar(q, S.bySlug, [slug])) !== undefined,
    list: () => rows<OrgRow>(q, S.all),
    ids: async () => (await rows<{ id: string }>(q, S.ids)).map((r) => r.id),
    insert: async (o) => void (await exec(q, S.insert, [o.id, o.name, o.slug, o.createdAt])),
  };
}
