import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/open.js';
import { shapedStatements } from '../db/shaped.js';
import type { AgentStatus, AgentType, StatName } from './agents.schemas.js';
import { STAT_COLUMN, type AgentFilter, type AgentRow, type AgentsRepository } from './agents.repository.js';

// Rows come back as arrays (raw mode) in this column order: better-sqlite3 builds arrays
// much faster than objects, and the agent list is read by every dashboard poll.
const COLUMNS =
  'id, org_id, project_id, name, type, status, autonomy_level, task, started_at, last_activity, created_at, ' +
  'messages_processed, tasks_completed, reviews_performed, deploys_triggered, incidents_handled';

type Row = [
  id: string,
  orgId: string,
  projectId: string | null,
  name: string,
  type: AgentType,
  status: AgentStatus,
  autonomyLevel: number,
  task: string | null,
  startedAt: string,
  lastActivity: string,
  createdAt: string,
  messagesProcessed: number,
  tasksCompleted: number,
  reviewsPerformed: number,
  deploysTriggered: number,
  incidentsHandled: number,
];

const toAgent = (r: Row): AgentRow => ({
  id: r[0],
  orgId: r[1],
  projectId: r[2],
  name: r[3],
  type: r[4],
  status: r[5],
  autonomyLevel: r[6],
  task: r[7],
  startedAt: r[8],
  lastActivity: r[9],
  createdAt: r[10],
  messagesProcessed: r[11],
  tasksCompleted: r[12],
  reviewsPerformed: r[13],
  deploysTriggered: r[14],
  incidentsHandled: r[15],
});


export function createAgentsSqlite(db: Db): AgentsRepository {
  const select = <P extends unknown[] | Record<string, unknown>>(sql: string) =>
    db.prepare<P, Row>(`SELECT ${COLUMNS} FROM agents ${sql}`).raw(true) as unknown as Statement<P, Row>;
  const byId = select<[string]>('WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO agents (id, org_id, project_id, name, type, status, autonomy_level, task, started_at, last_activity, created_at)
     VALUES (@id, @orgId, @projectId, @name, @type, @status, @autonomyLevel, @task, @startedAt, @lastActivity, @createdAt)`,
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
    insert: async (a) => void insert.run(a),
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
