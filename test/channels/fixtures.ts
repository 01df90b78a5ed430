import type { Db } from '../../src/db/open.js';

/**
 * A project row, written straight to the table: the projects domain is not part of this
 * branch yet. Replace with POST /api/projects once it is.
 */
export function insertProject(db: Db, p: { id: string; orgId: string; repo: string }): void {
  db.prepare(
    `INSERT INTO projects (id, org_id, name, repo, repo_key, default_branch, linked_at, linked_by, created_at)
     VALUES (?, ?, ?, ?, ?, 'main', '2026-01-01T00:00:00.000Z', 'api', '2026-01-01T00:00:00.000Z')`,
  ).run(p.id, p.orgId, p.repo.split('/')[1], p.repo, p.repo.toLowerCase());
}

export const createOrg = async (api: () => import('supertest').Agent, name: string): Promise<string> =>
  (await api().post('/api/orgs').send({ name }).expect(201)).body.id as string;
