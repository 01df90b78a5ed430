import { describe, expect, it } from 'vitest';
import { makeTestApp } from '../helpers/app.js';
import { makePgTestEngine } from '../helpers/pg.js';
import { createPgTaskLocks } from '../../src/scheduler/scheduler.locks.pg.js';
import { migratedDatabase, onCleanup } from './support.js';

describe('task run locks on PostgreSQL', () => {
  it('leave the pool to the run: a task runs and is recorded with DATABASE_POOL_MAX=1', async () => {
    const t = await makeTestApp({ engine: await makePgTestEngine(1) });
    onCleanup(() => t.close());
    const run = await t.api().post('/api/scheduler/audit-cleanup/run').expect(200);
    expect(run.body).toMatchObject({ name: 'audit-cleanup', ok: true, error: null });
    expect((await t.api().get('/api/scheduler/audit-cleanup').expect(200)).body).toMatchObject({ runCount: 1 });
  });

  it('let one holder at a time run a task, across lock owners, and free it on release or close', async () => {
    const db = await migratedDatabase();
    const a = createPgTaskLocks(db.url);
    const b = createPgTaskLocks(db.url);
    onCleanup(() => Promise.all([a.close(), b.close()]));
    const release = await a.acquire('audit-cleanup');
    expect(release).toBeTypeOf('function');
    expect(await b.acquire('audit-cleanup')).toBeUndefined();
    // Two tasks at once on one owner: each its own lock, on the one connection.
    const [x, y] = await Promise.all([a.acquire('health-check'), a.acquire('build-status-report')]);
    expect(x).toBeTypeOf('function');
    expect(y).toBeTypeOf('function');
    await release!();
    const again = await b.acquire('audit-cleanup');
    expect(again).toBeTypeOf('function');
    await b.close();
    expect(await a.acquire('audit-cleanup')).toBeTypeOf('function');
  });

  it('reject when the database cannot be reached (the runner then runs on this replica alone)', async () => {
    const locks = createPgTaskLocks('postgres://nobody:x@127.0.0.1:1/none');
    onCleanup(() => locks.close());
    await expect(locks.acquire('audit-cleanup')).rejects.toThrow();
  });
});
