import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/open.js';
import { createSqliteUnit } from '../../src/db/sqlite-unit.js';

let db: Db;
beforeEach(() => {
  db = openDatabase(':memory:');
  db.exec('CREATE TABLE t (v TEXT UNIQUE)');
});
afterEach(() => db.close());

const repo = () => ({
  add: async (v: string) => void db.prepare('INSERT INTO t (v) VALUES (?)').run(v),
  all: async () => db.prepare('SELECT v FROM t ORDER BY rowid').pluck().all() as string[],
});

describe('createSqliteUnit', () => {
  it('commits what the unit wrote when it resolves', async () => {
    const unit = createSqliteUnit(db, repo());
    expect(await unit.run(async (r) => (await r.add('a'), 'done'))).toBe('done');
    expect(await repo().all()).toEqual(['a']);
    expect(db.inTransaction).toBe(false);
  });

  it('rolls back every write of the unit, nested synchronous transactions included, when it rejects', async () => {
    const unit = createSqliteUnit(db, repo());
    const nested = db.transaction(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('nested'));
    await expect(
      unit.run(async (r) => {
        await r.add('a');
        nested();
        await r.add('a');
      }),
    ).rejects.toThrow(/UNIQUE/);
    expect(await repo().all()).toEqual([]);
    expect(db.inTransaction).toBe(false);
  });

  it('runs units one at a time, in call order, each seeing the commits before it', async () => {
    const unit = createSqliteUnit(db, repo());
    const seen = await Promise.all(
      ['x', 'y', 'z'].map((v) =>
        unit.run(async (r) => {
          const before = await r.all();
          await r.add(v);
          return before;
        }),
      ),
    );
    expect(seen).toEqual([[], ['x'], ['x', 'y']]);
  });

  it('goes on after a failed unit', async () => {
    const unit = createSqliteUnit(db, repo());
    await expect(unit.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await unit.run((r) => r.add('after'));
    expect(await repo().all()).toEqual(['after']);
  });
});
