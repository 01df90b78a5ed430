import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from '../open.js';
import type { Repositories, UnitOfWork } from '../engine.js';
import { runHooks } from '../hooks.js';
import { nextUnitEpoch } from './unit-epoch.js';

interface Frame {
  /** False once the unit has ended: a promise left running past it no longer joins it. */
  open: boolean;
  /** afterCommit callbacks queued by this unit. */
  hooks: Array<() => void>;
}

/**
 * The unit of work on the one better-sqlite3 connection. Its transactions are statements on
 * that connection, so two units must never interleave: a unit holds the connection from
 * BEGIN IMMEDIATE to COMMIT (or ROLLBACK) and the next waits its turn (FIFO). Calls made
 * outside any unit while one holds the connection wait too (`gate`), so they neither slip
 * into its transaction nor read what it has not committed; when nothing holds it (the usual
 * case) they go straight to the connection with no await added.
 */
export function createSqliteUnitOfWork(db: Db, repos: Repositories) {
  let outside: Repositories;
  const frames = new AsyncLocalStorage<Frame>();
  let held = false;
  const waiting: Array<() => void> = [];
  /** Ends of units (commit or rollback): part of the change stamp, since a rollback leaves total_changes() moved. */
  let ended = 0;

  const acquire = (): Promise<void> | undefined => {
    if (!held) {
      held = true;
      return undefined;
    }
    return new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) return next();
    held = false;
    // Nothing holds the connection, so no frame is open: switch the context tracking off until
    // the next unit. On Node 20 it hooks every promise the process creates while it is on,
    // which costs every request (reads included) a few per cent.
    frames.disable();
  };
  const inUnit = (): boolean => frames.getStore()?.open === true;

  /**
   * Holds the connection for `fn` without a transaction (calls inside go straight to it, as
   * in a unit): reads that need no interleaving, or writes that each commit on their own.
   */
  async function exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    if (inUnit()) return fn();
    const wait = acquire();
    if (wait) await wait;
    const frame: Frame = { open: true, hooks: [] };
    try {
      return await frames.run(frame, fn);
    } finally {
      frame.open = false;
      release();
    }
  }

  function run<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    // Inside a unit the caller's promise is the answer: no promise of our own around it.
    return inUnit() ? fn(repos) : unit(fn);
  }

  async function unit<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    const wait = acquire();
    if (wait) await wait;
    const frame: Frame = { open: true, hooks: [] };
    let committed = false;
    let begun = false;
    try {
      db.exec('BEGIN IMMEDIATE');
      nextUnitEpoch(db);
      begun = true;
      let result: T;
      try {
        result = await frames.run(frame, () => fn(repos));
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
      try {
        db.exec('COMMIT');
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
      committed = true;
      return result;
    } finally {
      frame.open = false;
      if (begun) nextUnitEpoch(db);
      ended++;
      release();
      // After the release but before anything awaited: hooks run in commit order.
      if (committed) runHooks(frame.hooks);
    }
  }

  const uow: UnitOfWork = {
    run,
    current: () => (inUnit() ? repos : outside),
    active: inUnit,
    afterCommit(fn) {
      const frame = frames.getStore();
      // An exclusive hold is not a transaction: what it wrote is already committed.
      if (frame?.open === true && held && db.inTransaction) frame.hooks.push(fn);
      else runHooks([fn]);
    },
  };

  /** Wraps a repository for use outside units: direct when the connection is free, else after the unit holding it. */
  function gate<R extends object>(repo: R): R {
    const out: Record<string, unknown> = {};
    for (const [name, method] of Object.entries(repo)) {
      const f = method as (...args: unknown[]) => Promise<unknown>;
      out[name] = (...args: unknown[]) => (held && !inUnit() ? exclusive(() => f(...args)) : f(...args));
    }
    return out as R;
  }

  const gated: Partial<Record<keyof Repositories, object>> = {};
  outside = {} as Repositories;
  for (const key of Object.keys(repos) as Array<keyof Repositories>) {
    Object.defineProperty(outside, key, { enumerable: true, get: () => (gated[key] ??= gate(repos[key])) });
  }
  return { uow, outside, exclusive, ended: () => ended };
}

export type SqliteUnitOfWork = ReturnType<typeof createSqliteUnitOfWork>;
