import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestEngine } from '../helpers/deps.js';
import type { Engine } from '../../src/db/engine.js';
import type { OrgRow } from '../../src/orgs/orgs.repository.js';

const org = (id: string): OrgRow => ({ id, name: id, slug: id, createdAt: '2026-06-01T12:00:00.000Z' });

let engine: Engine;
beforeEach(async () => {
  engine = await makeTestEngine({ DATABASE_PATH: ':memory:' });
});
afterEach(() => engine.close());

describe('UnitOfWork.afterCommit (the engine under test)', () => {
  it('holds a hook queued in a unit until the unit has committed, and runs them in order', async () => {
    const ran: string[] = [];
    await engine.uow.run(async (tx) => {
      await tx.orgs.insert(org('a'));
      engine.uow.afterCommit(() => ran.push('first'));
      engine.uow.afterCommit(() => ran.push('second'));
      expect(ran).toEqual([]);
    });
    expect(ran).toEqual(['first', 'second']);
  });

  it('sees the committed change from the hook', async () => {
    let seen: Promise<boolean> | undefined;
    await engine.uow.run(async (tx) => {
      await tx.orgs.insert(org('seen'));
      engine.uow.afterCommit(() => {
        seen = engine.repos.orgs.exists('seen');
      });
    });
    expect(await seen).toBe(true);
  });

  it('drops the hooks of a unit that rolls back, joined units included', async () => {
    const ran: string[] = [];
    await expect(
      engine.uow.run(async (tx) => {
        await tx.orgs.insert(org('gone'));
        engine.uow.afterCommit(() => ran.push('outer'));
        await engine.uow.run(async () => engine.uow.afterCommit(() => ran.push('inner')));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(ran).toEqual([]);
  });

  it('runs a hook at once outside a unit, and a throwing hook stops neither the commit nor the others', async () => {
    const ran: string[] = [];
    engine.uow.afterCommit(() => ran.push('now'));
    expect(ran).toEqual(['now']);
    await engine.uow.run(async (tx) => {
      await tx.orgs.insert(org('still'));
      engine.uow.afterCommit(() => {
        throw new Error('hook fails');
      });
      engine.uow.afterCommit(() => ran.push('after the failing one'));
    });
    expect(ran).toEqual(['now', 'after the failing one']);
    expect(await engine.repos.orgs.exists('still')).toBe(true);
  });
});
