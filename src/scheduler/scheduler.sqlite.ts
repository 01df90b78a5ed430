import type { Db } from '../db/open.js';
import { TASK_STATE_ROW, type SchedulerRepository, type TaskState } from './scheduler.repository.js';

type Row = Record<string, unknown>;
const toState = (r: Row): TaskState => TASK_STATE_ROW.read(r);

export function createSchedulerSqlite(db: Db): SchedulerRepository {
  const ensure = db.prepare('INSERT INTO scheduler_tasks (name) VALUES (?) ON CONFLICT (name) DO NOTHING');
  const byName = db.prepare<[string], Row>(
    `SELECT ${TASK_STATE_ROW.select()} FROM scheduler_tasks WHERE name = ?`,
  );
  const setEnabled = db.prepare('UPDATE scheduler_tasks SET enabled = ? WHERE name = ?');
  const recordRun = db.prepare(
    `UPDATE scheduler_tasks SET run_count = run_count + 1, errors = errors + ?, last_run = ?, last_error = ?,
       last_duration_ms = ? WHERE name = ?`,
  );
  const remove = db.prepare('DELETE FROM scheduler_tasks WHERE name = ?');
  const claimTick = db.prepare(
    'UPDATE scheduler_tasks SET last_tick = ? WHERE name = ? AND enabled = 1 AND (last_tick IS NULL OR last_tick < ?)',
  );
  return {
    ensure: async (name) => void ensure.run(name),
    async get(name) {
      const r = byName.get(name);
      return r && toState(r);
    },
    setEnabled: async (name, enabled) => void setEnabled.run(enabled ? 1 : 0, name),
    recordRun: async (name, run) => void recordRun.run(run.error === null ? 0 : 1, run.at, run.error, run.durationMs, name),
    remove: async (name) => void remove.run(name),
    claimTick: async (name, tick) => claimTick.run(tick, name, tick).changes === 1,
  };
}
