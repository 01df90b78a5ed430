import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/open.js';
import type { AgentStatus, AgentType, StatName } from './agents.schemas.js';

export interface AgentRow {
  id: string;
  orgId: string;
  projectId: string | null;
  name: string;
  type: AgentType;
  status: AgentStatus;
  autonomyLevel: number;
  task: string | null;
  startedAt: string;
  lastActivity: string;
  createdAt: string;
  messagesProcessed: number;
  tasksCompleted: number;
  reviewsPerformed: number;
  deploysTriggered: number;
  incidentsHandled: number;
}

interface Row {
  id: string;
  org_id: string;
  project_id: string | null;
  name: string;
  type: AgentType;
  status: AgentStatus;
  autonomy_level: number;
  task: string | null;
  started_at: string;
  last_activity: string;
  created_at: string;
  messages_processed: number;
  tasks_completed: number;
  reviews_performed: number;
  deploys_triggered: number;
  incidents_handled: number;
}

const toAgent = (r: Row): AgentRow => ({
  id: r.id,
  orgId: r.org_id,
  projectId: r.project_id,
  name: r.name,
  type: r.type,
  status: r.status,
  autonomyLevel: r.autonomy_level,
  task: r.task,
  startedAt: r.started_at,
  lastActivity: r.last_activity,
  createdAt: r.created_at,
  messagesProcessed: r.messages_processed,
  tasksCompleted: r.tasks_completed,
  reviewsPerformed: r.reviews_performed,
  deploysTriggered: r.deploys_triggered,
  incidentsHandled: r.incidents_handled,
});

const STAT_COLUMN: Record<StatName, string> = {
  messagesProcessed: 'messages_processed',
  tasksCompleted: 'tasks_completed',
  reviewsPerformed: 'reviews_performed',
  deploysTriggered: 'deploys_triggered',
  incidentsHandled: 'incidents_handled',
};

export interface AgentFilter {
  orgId: string | null;
  type?: AgentType;
  status?: AgentStatus;
  projectId?: string;
}

export function createAgentsStore(db: Db) {
  const byId = db.prepare<[string], Row>('SELECT * FROM agents WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO agents (id, org_id, project_id, name, type, status, autonomy_level, task, started_at, last_activity, created_at)
     VALUES (@id, @orgId, @projectId, @name, @type, @status, @autonomyLevel, @task, @startedAt, @lastActivity, @createdAt)`,
  );
  // rowid breaks ties in created_at (same millisecond) by insertion order; the random ids would not.
  // One statement per combination of filters (prepared on first use), so each can use the
  // (org_id, created_at) index instead of scanning past `@x IS NULL OR …` terms.
  const FILTERS: Array<[keyof AgentFilter, string]> = [
    ['orgId', 'org_id = @orgId'],
    ['type', 'type = @type'],
    ['status', 'status = @status'],
    ['projectId', 'project_id = @projectId'],
  ];
  const shaped = new Map<string, Statement<Record<string, string>, Row>>();
  function listStatement(f: AgentFilter) {
    const present = FILTERS.filter(([k]) => f[k] != null);
    const key = present.map(([k]) => k).join(',');
    let st = shaped.get(key);
    if (!st) {
      const where = present.length ? `WHERE ${present.map(([, sql]) => sql).join(' AND ')}` : '';
      st = db.prepare<Record<string, string>, Row>(`SELECT * FROM agents ${where} ORDER BY created_at, rowid`);
      shaped.set(key, st);
    }
    return { st, params: Object.fromEntries(present.map(([k]) => [k, f[k] as string])) };
  }
  const setStatus = db.prepare('UPDATE agents SET status = ?, last_activity = ? WHERE id = ?');
  const restart = db.prepare("UPDATE agents SET status = 'ACTIVE', started_at = ?, last_activity = ? WHERE id = ?");
  const setLevel = db.prepare('UPDATE agents SET autonomy_level = ?, last_activity = ? WHERE id = ?');
  const setProject = db.prepare('UPDATE agents SET project_id = ?, last_activity = ? WHERE id = ?');
  const touch = db.prepare('UPDATE agents SET last_activity = ? WHERE id = ?');
  const remove = db.prepare('DELETE FROM agents WHERE id = ?');
  const projectAgent = db.prepare<[string], Row>("SELECT * FROM agents WHERE project_id = ? AND type = 'project' ORDER BY created_at, rowid LIMIT 1");
  const ofProject = db.prepare<[string], Row>('SELECT * FROM agents WHERE project_id = ? ORDER BY created_at, rowid');
  const inStatus = db.prepare<[string], Row>('SELECT * FROM agents WHERE status = ? ORDER BY created_at, rowid');
  const addStat = Object.fromEntries(
    Object.entries(STAT_COLUMN).map(([k, col]) => [
      k,
      db.prepare<[number, string, string]>(`UPDATE agents SET ${col} = ${col} + ?, last_activity = ? WHERE id = ?`),
    ]),
  ) as Record<StatName, Statement<[number, string, string]>>;

  const one = (r: Row | undefined) => (r ? toAgent(r) : undefined);
  return {
    get: (id: string): AgentRow | undefined => one(byId.get(id)),
    insert: (a: AgentRow): void => void insert.run(a),
    list(f: AgentFilter): AgentRow[] {
      const { st, params } = listStatement(f);
      return st.all(params).map(toAgent);
    },
    setStatus: (id: string, status: AgentStatus, at: string): void => void setStatus.run(status, at, id),
    restart: (id: string, at: string): void => void restart.run(at, at, id),
    setLevel: (id: string, level: number, at: string): void => void setLevel.run(level, at, id),
    setProject: (id: string, projectId: string | null, at: string): void => void setProject.run(projectId, at, id),
    touch: (id: string, at: string): void => void touch.run(at, id),
    remove: (id: string): boolean => remove.run(id).changes > 0,
    projectAgent: (projectId: string): AgentRow | undefined => one(projectAgent.get(projectId)),
    ofProject: (projectId: string): AgentRow[] => ofProject.all(projectId).map(toAgent),
    inStatus: (status: AgentStatus): AgentRow[] => inStatus.all(status).map(toAgent),
    addStat: (id: string, stat: StatName, n: number, at: string): void => void addStat[stat].run(n, at, id),
  };
}

export type AgentsStore = ReturnType<typeof createAgentsStore>;
