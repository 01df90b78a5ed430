import type { Db } from '../db/open.js';

export interface OrgRow {
  id: string;
  name: string;
  slug: string;
  createdAt: string;
}

interface Row {
  id: string;
  name: string;
  slug: string;
  created_at: string;
}

const toOrg = (r: Row): OrgRow => ({ id: r.id, name: r.name, slug: r.slug, createdAt: r.created_at });

export function createOrgsStore(db: Db) {
  const byId = db.prepare<[string], Row>('SELECT id, name, slug, created_at FROM orgs WHERE id = ?');
  const exists = db.prepare<[string]>('SELECT 1 FROM orgs WHERE id = ?').pluck();
  const bySlug = db.prepare<[string]>('SELECT 1 FROM orgs WHERE slug = ?').pluck();
  const all = db.prepare<[], Row>('SELECT id, name, slug, created_at FROM orgs ORDER BY created_at, id');
  const ids = db.prepare<[]>('SELECT id FROM orgs ORDER BY id').pluck();
  const insert = db.prepare('INSERT INTO orgs (id, name, slug, created_at) VALUES (?, ?, ?, ?)');
  // Orgs are never deleted, so one that exists always will: every request checks x-org-id,
  // and after the first time that check is a set lookup.
  const known = new Set<string>();
  return {
    get: (id: string): OrgRow | undefined => {
      const r = byId.get(id);
      return r && toOrg(r);
    },
    exists(id: string): boolean {
      if (known.has(id)) return true;
      const found = exists.get(id) !== undefined;
      if (found) known.add(id);
      return found;
    },
    slugTaken: (slug: string): boolean => bySlug.get(slug) !== undefined,
    list: (): OrgRow[] => all.all().map(toOrg),
    ids: (): string[] => ids.all() as string[],
    insert: (o: OrgRow): void => void insert.run(o.id, o.name, o.slug, o.createdAt),
  };
}

export type OrgsStore = ReturnType<typeof createOrgsStore>;
