import type { Db } from '../db/open.js';
import { ORG_ROW, type OrgRow, type OrgsRepository } from './orgs.repository.js';

type Row = Record<string, unknown>;
const toOrg = (r: Row): OrgRow => ORG_ROW.read(r);

export function createOrgsSqlite(db: Db): OrgsRepository {
  const byId = db.prepare<[string], Row>(`SELECT ${ORG_ROW.select()} FROM orgs WHERE id = ?`);
  const exists = db.prepare<[string]>('SELECT 1 FROM orgs WHERE id = ?').pluck();
  const bySlug = db.prepare<[string]>('SELECT 1 FROM orgs WHERE slug = ?').pluck();
  const all = db.prepare<[], Row>(`SELECT ${ORG_ROW.select()} FROM orgs ORDER BY created_at, id`);
  const ids = db.prepare<[]>('SELECT id FROM orgs ORDER BY id').pluck();
  const insert = db.prepare('INSERT INTO orgs (id, name, slug, created_at) VALUES (?, ?, ?, ?)');
  return {
    get: async (id) => {
      const r = byId.get(id);
      return r && toOrg(r);
    },
    exists: async (id) => exists.get(id) !== undefined,
    slugTaken: async (slug) => bySlug.get(slug) !== undefined,
    list: async () => all.all().map(toOrg),
    ids: async () => ids.all() as string[],
    insert: async (o) => void insert.run(o.id, o.name, o.slug, o.createdAt),
  };
}
