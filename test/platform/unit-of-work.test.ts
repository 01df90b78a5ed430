import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDb, TEST_ENGINE } from '../helpers/deps.js';
import { makeTestApp } from '../helpers/app.js';
import { sqliteEngineOver, type SqliteEngine } from '../../src/db/sqlite/engine.js';
import type { OrgRow } from '../../src/orgs/orgs.repository.js';

const org = (id: string): OrgRow => ({ id, name: id, slug: id, createdAt: '2026-06-01T12:00:00.000Z' });

let engine: SqliteEngine;
beforeEach(() => {
  engine = sqliteEngineOver(openTestDb());
});
afterEach(() => engine.close());

describe('the SQLite unit of work', () => {
  it('commits what a unit wrote when it resolves, and nothing when it rejects', async () => {
    await engine.uow.run(async (tx) => tx.orgs.insert(org('kept')));
    await expect(
      engine.uow.run(async (tx) => {
        await tx.orgs.insert(org('dropped'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await engine.repos.orgs.exists('kept')).toBe(true);
    expect(await engine.repos.orgs.exists('dropped')).toBe(false);
  });

  it('joins a unit opened inside another, so both commit or roll back together', async () => {
    await expect(
      engine.uow.run(async (tx) => {
        await tx.orgs.insert(org('outer'));
        await engine.uow.run(async (inner) => inner.orgs.insert(org('inner')));
        expect(engine.uow.active()).toBe(true);
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(await engine.repos.orgs.ids()).toEqual(['default']);
  });

  it('runs units one after another and keeps reads outside them off uncommitted writes', async () => {
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = engine.uow.run(async (tx) => {
      await tx.orgs.insert(org('first'));
      events.push('first wrote');
      await gate;
      events.push('first done');
    });
    const second = engine.uow.run(async (tx) => {
      events.push('second started');
      await tx.orgs.insert(org('second'));
    });
    const outside = engine.repos.orgs.exists('first').then((found) => events.push(`outside read ${found}`));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['first wrote']);
    release();
    await Promise.all([first, second, outside]);
    expect(events).toEqual(['first wrote', 'first done', 'second started', 'outside read true']);
  });

  it('moves the change stamp with every committed or rolled-back unit', async () => {
    const before = engine.stamp.current();
    await engine.uow.run(async (tx) => tx.orgs.insert(org('x')));
    const afterCommit = engine.stamp.current();
    expect(afterCommit).not.toBe(before);
    await engine.uow.run(async () => undefined).catch(() => undefined);
    await expect(engine.uow.run(async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(engine.stamp.current()).not.toBe(afterCommit);
  });

  it('is named on /health (checks.database.engine) and /api/memory (vectorStore.backend)', async () => {
    const t = await makeTestApp();
    try {
      expect((await t.api().get('/health').expect(200)).body.checks.database).toMatchObject({ status: 'ok', engine: TEST_ENGINE });
      expect((await t.api().get('/api/memory').expect(200)).body.vectorStore.backend).toBe(TEST_ENGINE);
    } finally {
      await t.close();
    }
  });
});
