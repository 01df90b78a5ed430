import { exec, one, stmt, type Queryable } from '../db/postgres/sql.js';
import { TASK_STATE_ROW, type SchedulerRepository } from './scheduler.repository.js';

const S = {
  ensure: stmt('sched:ensure', 'INSERT INTO scheduler_tasks (name) VALUES ($1) ON CONFLICT (name) DO NOTHING'),
  get: stmt(
    'sched:get',
    `SELECT ${TASK_STATE_ROW.select()} FROM scheduler_tasks WHERE name = $1`,
  ),
  setEnabled: stmt('sched:setEnabled', 'UPDATE scheduler_tasks SET enabled = $1 WHERE name = $2'),
  recordRun: stmt(
    'sched:recordRun',
    `UPDATE scheduler_tasks SET run_count = run_count + 1, errors = errors + $1, last_run = $2, last_error = $3,
       last_duration_ms = $4 WHERE name = $5`,
  ),
  remove: stmt('sched:remove', 'DELETE FROM scheduler_tasks WHERE name = $1'),
  claimTick: stmt(
    'sched:claimTick',
    'UPDATE scheduler_tasks SET last_tick = $2 WHERE name = $1 AND enabled = 1 AND (last_tick IS NULL OR last_tick < $2)',
  ),
};

export function createSchedulerPg(q: Queryable): SchedulerRepository {
  return {
    ensure: async (name) => void (await exec(q, S.ensure, [name])),
    async get(name) {
      const r = await one<Record<string, unknown>>(q, S.get, [name]);
      return r && TASK_STATE_ROW.read(r);
    },
    setEnabled: async (name, enabled) => void (await exec(q, S.setEnabled, [enabled ? 1 : 0, name])),
    recordRun: async (name, run) => void (await exec(q, S.recordRun, [run.error === null ? 0 : 1, run.at, run.error, run.durationMs, name])),
    remove: async (name) => void (await exec(q, S.remove, [name])),
    claimTick: async (name, tick) => (await exec(q, S.claimTick, [name, tick])) === 1,
  };
}
