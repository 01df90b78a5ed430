import { exec, one, rows, stmt, type Queryable } from '../db/postgres/sql.js';
import { pgShapes } from '../db/postgres/shaped.js';
import { writeOrHold, type HeldWrite } from '../db/postgres/held-writes.js';
import type { StatName } from './agents.schemas.js';
import { AGENT_ROW, STAT_COLUMN, type AgentFilter, type AgentRow, type AgentsRepository } from './agents.repository.js';

const COLUMNS = AGENT_ROW.select();

// row_seq breaks ties in created_at (same millisecond) by insertion order; the random ids would not.
const S = {
  byId: stmt('agents:byId', `SELECT ${COLUMNS} FROM agents WHERE id = $1`),
  insert: stmt(
    'agents:insert',
    `INSERT INTO agents (id, org_id, project_id, name, type, status, autonomy_level, task, started_at, last_activity, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (id) DO NOTHING`,
  ),
  setStatus: stmt('agents:setStatus', 'UPDATE agents SET status = $1, last_activity = $2 WHERE id = $3'),
  restart: stmt('agents:restart', "UPDATE agents SET status = 'ACTIVE', started_at = $1, last_activity = $1 WHERE id = $2"),
  setLevel: stmt('agents:setLevel', 'UPDATE agents SET autonomy_level = $1, last_activity = $2 WHERE id = $3'),
  setProject: stmt('agents:setProject', 'UPDATE agents SET project_id = $1, last_activity = $2 WHERE id = $3'),
  touch: stmt('agents:touch', 'UPDATE agents SET last_activity = $1 WHERE id = $2'),
  touchMany: stmt('agents:touchMany', 'UPDATE agents a SET last_activity = t.at FROM unnest($1::text[], $2::text[]) AS t(id, at) WHERE a.id = t.id'),
  remove: stmt('agents:remove', 'DELETE FROM agents WHERE id = $1'),
  projectAgent: stmt(
    'agents:projectAgent',
    `SELECT ${COLUMNS} FROM agents WHERE project_id = $1 AND type = 'project' ORDER BY created_at, row_seq LIMIT 1`,
  ),
  ofProject: stmt('agents:ofProject', `SELECT ${COLUMNS} FROM agents WHERE project_id = $1 ORDER BY created_at, row_seq`),
  inStatus: stmt('agents:inStatus', `SELECT ${COLUMNS} FROM agents WHERE status = $1 ORDER BY created_at, row_seq`),
  addStat: Object.fromEntries(
    Object.entries(STAT_COLUMN).map(([k, col]) => [
      k,
      stmt(`agents:addStat:${k}`, `UPDATE agents SET ${col} = ${col} + $1, last_activity = $2 WHERE id = $3`),
    ]),
  ) as Record<StatName, ReturnType<typeof stmt>>,
};

const listFor = pgShapes<AgentFilter>(
  'agents:list',
  [
    ['orgId', (p) => `org_id = ${p}`],
    ['type', (p) => `type = ${p}`],
    ['status', (p) => `status = ${p}`],
    ['projectId', (p) => `project_id = ${p}`],
  ],
  (where) => `SELECT ${COLUMNS} FROM agents ${where} ORDER BY created_at, row_seq`,
);

interface Touch {
  id: string;
  at: string;
}

/** An agent's last activity, held back by a unit: one statement for all, the latest per agent. */
const TOUCHES: HeldWrite<Touch> = {
  name: 'agent activity',
  values: (t) => [t.at, t.id],
  async write(q, held) {
    if (held.length === 1) return void (await exec(q, S.touch, [held[0]!.at, held[0]!.id]));
    const latest = new Map(held.map((t) => [t.id, t.at]));
    await exec(q, S.touchMany, [[...latest.keys()], [...latest.values()]]);
  },
};

export function createAgentsPg(q: Queryable): AgentsRepository {
  return {
    get: (id) => one<AgentRow>(q, S.byId, [id]),
    insert: async (a) =>
      (await exec(q, S.insert, [a.id, a.orgId, a.projectId, a.name, a.type, a.status, a.autonomyLevel, a.task, a.startedAt, a.lastActivity, a.createdAt])) === 1,
    list(f) {
      const { stmt: s, values } = listFor(f);
      return rows<AgentRow>(q, s, values);
    },
    setStatus: async (id, status, at) => void (await exec(q, S.setStatus, [status, at, id])),
    restart: async (id, at) => void (await exec(q, S.restart, [at, id])),
    setLevel: async (id, level, at) => void (await exec(q, S.setLevel, [level, at, id])),
    setProject: async (id, projectId, at) => void (await exec(q, S.setProject, [projectId, at, id])),
    touch: (id, at) => writeOrHold(q, TOUCHES, { id, at }),
    remove: async (id) => (await exec(q, S.remove, [id])) > 0,
    projectAgent: (projectId) => one<AgentRow>(q, S.projectAgent, [projectId]),
    ofProject: (projectId) => rows<AgentRow>(q, S.ofProject, [projectId]),
    inStatus: (status) => rows<AgentRow>(q, S.inStatus, [status]),
    addStat: async (id, stat, n, at) => void (await exec(q, S.addStat[stat], [n, at, id])),
  };
}
