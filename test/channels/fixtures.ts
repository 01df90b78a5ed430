import type { Engine } from '../../src/db/engine.js';
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

/** The same row written through the engine's repository, so the test runs on any engine. */
export async function seedProject(t: { deps: { engine: Engine } }, p: { id: string; orgId: string; repo: string }): Promise<void> {
  await t.deps.engine.repos.projects.insert({
    id: p.id, orgId: p.orgId, name: p.repo.split('/')[1]!, repo: p.repo, repoKey: p.repo.toLowerCase(), defaultBranch: 'main',
    webhookConfigured: false, webhookId: null, linkedAt: '2026-01-01T00:00:00.000Z', linkedBy: 'api', agentId: null, lastBuild: null, lastDeploy: null,
    createdAt: '2026-01-01T00:00:00.000Z',
  });
}

export const createOrg = async (api: () => import('supertest').Agent, name: string): Promise<string> =>
  (await api().post('/api/orgs').send({ name }).expect(201)).body.id as string;
