import { exec, one, rows, scalar, stmt, type Queryable } from '../db/postgres/sql.js';
import { PROJECT_ROW, type ProjectRow, type ProjectsRepository } from './projects.repository.js';

type Row = Record<string, unknown>;
const COLUMNS = PROJECT_ROW.select();
const toProject = (r: Row): ProjectRow => PROJECT_ROW.read(r);

// row_seq breaks ties in created_at (same millisecond) by insertion order; the random ids would not.
const S = {
  byId: stmt('projects:byId', `SELECT ${COLUMNS} FROM projects WHERE id = $1`),
  byRepo: stmt('projects:byRepo', `SELECT ${COLUMNS} FROM projects WHERE org_id = $1 AND repo_key = $2`),
  linkedTo: stmt('projects:linkedTo', `SELECT ${COLUMNS} FROM projects WHERE repo_key = $1 ORDER BY created_at, row_seq`),
  listOrg: stmt('projects:listOrg', `SELECT ${COLUMNS} FROM projects WHERE org_id = $1 ORDER BY created_at, row_seq`),
  all: stmt('projects:all', `SELECT ${COLUMNS} FROM projects ORDER BY created_at, row_seq`),
  count: stmt('projects:count', 'SELECT COUNT(*) FROM projects WHERE org_id = $1'),
  insert: stmt(
    'projects:insert',
    `INSERT INTO projects (id, org_id, name, repo, repo_key, default_branch, webhook_configured, webhook_id, linked_at, linked_by, agent_id, last_build, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12)
     ON CONFLICT (id) DO NOTHING`,
  ),
  setAgent: stmt('projects:setAgent', 'UPDATE projects SET agent_id = $1 WHERE id = $2'),
  relink: stmt('projects:relink', 'UPDATE projects SET agent_id = $1, linked_at = $2, linked_by = $3 WHERE id = $4'),
  setWebhook: stmt('projects:setWebhook', 'UPDATE projects SET webhook_configured = $1, webhook_id = $2 WHERE id = $3'),
  setLastBuild: stmt('projects:setLastBuild', 'UPDATE projects SET last_build = $1 WHERE id = $2'),
  setLastDeploy: stmt('projects:setLastDeploy', 'UPDATE projects SET last_deploy = $1 WHERE id = $2'),
  remove: stmt('projects:remove', 'DELETE FROM projects WHERE id = $1'),
};

export function createProjectsPg(q: Queryable): ProjectsRepository {
  const get1 = async (s: ReturnType<typeof stmt>, values: unknown[]) => {
    const r = await one<Row>(q, s, values);
    return r && toProject(r);
  };
  const list = async (s: ReturnType<typeof stmt>, values: unknown[] = []) => (await rows<Row>(q, s, values)).map(toProject);
  return {
    get: (id) => get1(S.byId, [id]),
    byRepo: (orgId, repoKey) => get1(S.byRepo, [orgId, repoKey]),
    linkedTo: (repoKey) => list(S.linkedTo, [repoKey]),
    list: (orgId) => (orgId === null ? list(S.all) : list(S.listOrg, [orgId])),
    all: () => list(S.all),
    count: async (orgId) => (await scalar<number>(q, S.count, [orgId])) ?? 0,
    insert: async (p) =>
      (await exec(q, S.insert, [
        p.id, p.orgId, p.name, p.repo, p.repoKey, p.defaultBranch, p.webhookConfigured ? 1 : 0, p.webhookId, p.linkedAt, p.linkedBy, p.agentId, p.createdAt,
      ])) === 1,
    setAgent: async (id, agentId) => void (await exec(q, S.setAgent, [agentId, id])),
    relink: async (id, agentId, at, by) => void (await exec(q, S.relink, [agentId, at, by, id])),
    setWebhook: async (id, hookId) => void (await exec(q, S.setWebhook, [hookId === null ? 0 : 1, hookId, id])),
    setLastBuild: async (id, build) => void (await exec(q, S.setLastBuild, [JSON.stringify(build), id])),
    setLastDeploy: async (id, deploy) => void (await exec(q, S.setLastDeploy, [JSON.stringify(deploy), id])),
    remove: async (id) => (await exec(q, S.remove, [id])) > 0,
  };
}
