import type { Db } from '../db/open.js';
import type { LastBuild } from './projects.schemas.js';
import type { ProjectRow, ProjectsRepository } from './projects.repository.js';

interface Row {
  id: string;
  org_id: string;
  name: string;
  repo: string;
  default_branch: string;
  webhook_configured: number;
  webhook_id: number | null;
  linked_at: string;
  linked_by: string;
  agent_id: string | null;
  last_build: string | null;
  created_at: string;
}

const toProject = (r: Row): ProjectRow => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  repo: r.repo,
  defaultBranch: r.default_branch,
  webhookConfigured: r.webhook_configured === 1,
  webhookId: r.webhook_id,
  linkedAt: r.linked_at,
  linkedBy: r.linked_by,
  agentId: r.agent_id,
  lastBuild: r.last_build ? (JSON.parse(r.last_build) as LastBuild) : null,
  createdAt: r.created_at,
});

export function createProjectsSqlite(db: Db): ProjectsRepository {
  const byId = db.prepare<[string], Row>('SELECT * FROM projects WHERE id = ?');
  const byRepo = db.prepare<[string, string], Row>('SELECT * FROM projects WHERE org_id = ? AND repo_key = ?');
  // rowid breaks ties in created_at (same millisecond) by insertion order; the random ids would not.
  const linkedTo = db.prepare<[string], Row>('SELECT * FROM projects WHERE repo_key = ? ORDER BY created_at, rowid');
  const list = db.prepare<{ orgId: string | null }, Row>('SELECT * FROM projects WHERE (@orgId IS NULL OR org_id = @orgId) ORDER BY created_at, rowid');
  const all = db.prepare<[], Row>('SELECT * FROM projects ORDER BY created_at, rowid');
  const count = db.prepare<[string]>('SELECT COUNT(*) FROM projects WHERE org_id = ?').pluck();
  const insert = db.prepare(
    `INSERT INTO projects (id, org_id, name, repo, repo_key, default_branch, webhook_configured, webhook_id, linked_at, linked_by, agent_id, last_build, created_at)
     VALUES (@id, @orgId, @name, @repo, @repoKey, @defaultBranch, @webhookConfigured, @webhookId, @linkedAt, @linkedBy, @agentId, NULL, @createdAt)`,
  );
  const setAgent = db.prepare('UPDATE projects SET agent_id = ? WHERE id = ?');
  const relink = db.prepare('UPDATE projects SET agent_id = ?, linked_at = ?, linked_by = ? WHERE id = ?');
  const setWebhook = db.prepare('UPDATE projects SET webhook_configured = ?, webhook_id = ? WHERE id = ?');
  const setLastBuild = db.prepare('UPDATE projects SET last_build = ? WHERE id = ?');
  const remove = db.prepare('DELETE FROM projects WHERE id = ?');

  const one = (r: Row | undefined) => (r ? toProject(r) : undefined);
  return {
    get: async (id) => one(byId.get(id)),
    byRepo: async (orgId, repoKey) => one(byRepo.get(orgId, repoKey)),
    linkedTo: async (repoKey) => linkedTo.all(repoKey).map(toProject),
    list: async (orgId) => list.all({ orgId }).map(toProject),
    all: async () => all.all().map(toProject),
    count: async (orgId) => count.get(orgId) as number,
    insert: async (p) => void insert.run({ ...p, webhookConfigured: p.webhookConfigured ? 1 : 0 }),
    setAgent: async (id, agentId) => void setAgent.run(agentId, id),
    relink: async (id, agentId, at, by) => void relink.run(agentId, at, by, id),
    setWebhook: async (id, hookId) => void setWebhook.run(hookId === null ? 0 : 1, hookId, id),
    setLastBuild: async (id, build) => void setLastBuild.run(JSON.stringify(build), id),
    remove: async (id) => remove.run(id).changes > 0,
  };
}
