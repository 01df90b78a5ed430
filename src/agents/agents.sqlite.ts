import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/open.js';
import { shapedStatements } from '../db/shaped.js';
import type { StatName } from './agents.schemas.js';
import { AGENT_ROW, STAT_COLUMN, type AgentFilter, type AgentRow, type AgentsRepository } from './agents.repository.js';

// Rows come back as arrays (raw mode): better-sqlite3 builds arrays much faster than
// objects, and the agent list is read by every dashboard poll.
type Row = unknown[];
const COLUMNS = AGENT_ROW.select();
const toAgent = (r: Row): AgentRow => AGENT_ROW.readArray(r);

export function createAgentsSqlite(db: Db): AgentsRepository {
  const select = <P extends unknown[] | Record<string, unknown>>(sql: string) =>
    db.prepare<P, Row>(`SELECT ${COLUMNS} FROM agents ${sql}`).raw(true) as unknown as Statement<P, Row>;
  const byId = select<[string]>('WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO agents (id, org_id, project_id, name, type, status, autonomy_level, task, started_at, last_activity, created_at)
     VALUES (@id, @orgId, @projectId, @name, @type, @status, @autonomyLevel, @task, @startedAt, @lastActivity, @createdAt)
     ON CONFLICT (id) DO NOTHING`,
  );
  // rowid breaks ties in created_at (same millisecond) by insertion order; the random ids would not.
  const listFor = shapedStatements<AgentFilter, Statement<Record<string, unknown>, Row>>(
    [
      ['orgId', 'org_id = @orgId'],
      ['type', 'type = @type'],
      ['status', 'status = @status'],
      ['projectId', 'project_id = @projectId'],
    ],
    (where) => select<Record<string, unknown>>(`${where} ORDER BY created_at, rowid`),
  );
  const setStatus = db.prepare('UPDATE agents SET status = ?, last_activity = ? WHERE id = ?');
  const restart = db.prepare("UPDATE agents SET status = 'ACTIVE', started_at = ?, last_activity = ? WHERE id = ?");
  const setLevel = db.prepare('UPDATE agents SET autonomy_level = ?, last_activity = ? WHERE id = ?');
  const setProject = db.prepare('UPDATE agents SET project_id = ?, last_activity = ? WHERE id = ?');
  const touch = db.prepare('UPDATE agents SET last_activity = ? WHERE id = ?');
  const remove = db.prepare('DELETE FROM agents WHERE id = ?');
  const projectAgent = select<[string]>("WHERE project_id = ? AND type = 'project' ORDER BY created_at, rowid LIMIT 1");
  const ofProject = select<[string]>('WHERE project_id = ? ORDER BY created_at, rowid');
  const inStatus = select<[string]>('WHERE status = ? ORDER BY created_at, rowid');
  const addStat = Object.fromEntries(
    Object.entries(STAT_COLUMN).map(([k, col]) => [
      k,
      db.prepare<[number, string, string]>(`UPDATE agents SET ${col} = ${col} + ?, last_activity = ? WHERE id = ?`),
    ]),
  ) as Record<StatName, Statement<[number, string, string]>>;

  const one = (r: Row | undefined) => (r ? toAgent(r) : undefined);
  return {
    get: async (id) => one(byId.get(id)),
    insert: async (a) => insert.run(a).changes === 1,
    async list(f) {
      const { statements, params } = listFor(f);
      return statements.all(params).map(toAgent);
    },
    setStatus: async (id, status, at) => void setStatus.run(status, at, id),
    restart: async (id, at) => void restart.run(at, at, id),
    setLevel: async (id, level, at) => void setLevel.run(level, at, id),
    setProject: async (id, projectId, at) => void setProject.run(projectId, at, id),
    touch: async (id, at) => void touch.run(at, id),
    remove: async (id) => remove.run(id).changes > 0,
    projectAgent: async (projectId) => one(projectAgent.get(projectId)),
    ofProject: async (projectId) => ofProject.all(projectId).map(toAgent),
    inStatus: async (status) => inStatus.all(status).map(toAgent),
    addStat: async (id, stat, n, at) => void addStat[stat].run(n, at, id),
  };
}
