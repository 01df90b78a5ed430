import type { Db } from '../db/open.js';
import { PROJECT_ROW, type ProjectRow, type ProjectsRepository } from './projects.repository.js';

type Row = Record<string, unknown>;
const SELECT = `SELECT ${PROJECT_ROW.select()} FROM projects`;
const toProject = (r: Row): ProjectRow => PROJECT_ROW.read(r);

export function createProjectsSqlite(db: Db): ProjectsRepository {
  const byId = db.prepare<[string], Row>(`${SELECT} WHERE id = ?`);
  const byRepo = db.prepare<[string, string], Row>(`${SELECT} WHERE org_id = ? AND repo_key = ?`);
  // rowid breaks ties in created_at (same millisecond) by insertion order; the random ids would not.
  const linkedTo = db.prepare<[string], Row>(`${SELECT} WHERE repo_key = ? ORDER BY created_at, rowid`);
  const list = db.prepare<{ orgId: string | null }, Row>(`${SELECT} WHERE (@orgId IS NULL OR org_id = @orgId) ORDER BY created_at, rowid`);
  const all = db.prepare<[], Row>(`${SELECT} ORDER BY created_at, rowid`);
  const count = db.prepare<[string]>('SELECT COUNT(*) FROM projects WHERE org_id = ?').pluck();
  const insert = db.prepare(
    `INSERT INTO projects (id, org_id, name, repo, repo_key, default_branch, webhook_configured, webhook_id, linked_at, linked_by, agent_id, last_build, created_at)
     VALUES (@id, @orgId, @name, @repo, @repoKey, @defaultBranch, @webhookConfigured, @webhookId, @linkedAt, @linkedBy, @agentId, NULL, @createdAt)
     ON CONFLICT (id) DO NOTHING`,
  );
  const setAgent = db.prepare('UPDATE projects SET agent_id = ? WHERE id = ?');
  const relink = db.prepare('UPDATE projects SET agent_id = ?, linked_at = ?, linked_by = ? WHERE id = ?');
  const setWebhook = db.prepare('UPDATE projects SET webhook_configured = ?, webhook_id = ? WHERE id = ?');
  const setLastBuild = db.prepare('UPDATE projects SET last_build = ? WHERE id = ?');
  const setLastDeploy = db.prepare('UPDATE projects SET last_deploy = ? WHERE id = ?');
  const remove = db.prepare('DELETE FROM projects WHERE id = ?');

  const one = (r: Row | undefined) => (r ? toProject(r) : undefined);
  return {
    get: async (id) => one(byId.get(id)),
    byRepo: async (orgId, repoKey) => one(byRepo.get(orgId, repoKey)),
    linkedTo: async (repoKey) => linkedTo.all(repoKey).map(toProject),
    list: async (orgId) => list.all({ orgId }).map(toProject),
    all: async () => all.all().map(toProject),
    count: async (orgId) => count.get(orgId) as number,
    insert: async (p) => insert.run({ ...p, webhookConfigured: p.webhookConfigured ? 1 : 0 }).changes === 1,
    setAgent: async (id, agentId) => void setAgent.run(agentId, id),
    relink: async (id, agentId, at, by) => void relink.run(agentId, at, by, id),
    setWebhook: async (id, hookId) => void setWebhook.run(hookId === null ? 0 : 1, hookId, id),
    setLastBuild: async (id, build) => void setLastBuild.run(JSON.stringify(build), id),
    setLastDeploy: async (id, deploy) => void setLastDeploy.run(JSON.stringify(deploy), id),
    remove: async (id) => remove.run(id).changes > 0,
  };
}
