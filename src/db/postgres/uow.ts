import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import type { Repositories, UnitOfWork } from '../engine.js';
import type { Queryable } from './sql.js';
import { runHooks } from '../hooks.js';
import { unitConnection, type UnitConnection } from './held-writes.js';

/**
 * Units of work run one at a time across every connection and process, as on SQLite: the
 * services' rules check, then write (no project for this repo yet, the agent not linked
 * yet), and one unit must not slip between another's check and its write. A transaction
 * advisory lock, released by COMMIT or ROLLBACK; reads outside units never wait for it.
 * Finer locks can replace it where a measured write load asks for them.
 */
const UNIT_LOCK = 'SELECT pg_advisory_xact_lock(1129268293)';
/** BEGIN and the lock in one round trip (the simple protocol takes several statements without values). */
const BEGIN_UNIT = `BEGIN; ${UNIT_LOCK}`;

interface Frame {
  repos: Repositories;
  client: pg.PoolClient;
  /** The connection the repositories use: it holds some writes back until the next statement or the commit. */
  conn: UnitConnection;
  /** False once the unit has ended: a promise left running past it no longer joins it. */
  open: boolean;
  /** afterCommit callbacks queued by this unit. */
  hooks: Array<() => void>;
}

/**
 * The unit of work over a pool: each unit holds one connection from BEGIN to COMMIT (or
 * ROLLBACK) and hands out repositories bound to it; units on other connections run at the
 * same time, serialized by the database where they meet (row locks, unique keys, the
 * chain's advisory lock). Writes that need nothing back (audit entries, memory documents,
 * an agent's last activity, webhook receipts) are held and sent together, one statement per
 * kind, before the unit's next statement or its COMMIT (held-writes.ts). A unit that cannot
 * roll back (its connection died) gives the connection up instead of returning it to the pool.
 */
export function createPgUnitOfWork(pool: pg.Pool, outside: Repositories, bind: (q: Queryable) => Repositories): UnitOfWork {
  const frames = new AsyncLocalStorage<Frame>();
  const open = (): Frame | undefined => {
    const f = frames.getStore();
    return f?.open ? f : undefined;
  };

  async function run<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    const joined = open();
    if (joined) return fn(joined.repos);
    const client = await pool.connect();
    const conn = unitConnection(client);
    const frame: Frame = { repos: bind(conn), client, conn, open: true, hooks: [] };
    let broken = false;
    try {
      await client.query(BEGIN_UNIT);
      let result: T;
      try {
        result = await frames.run(frame, () => fn(frame.repos));
        await conn.flush();
      } catch (err) {
        frame.open = false;
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw err;
      }
      frame.open = false;
      try {
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw err;
      }
      runHooks(frame.hooks);
      return result;
    } finally {
      frame.open = false;
      conn.end();
      client.release(broken);
    }
  }

  return {
    run,
    current: () => open()?.repos ?? outside,
    active: () => open() !== undefined,
    afterCommit(fn) {
      const frame = open();
      if (frame) frame.hooks.push(fn);
      else runHooks([fn]);
    },
  };
}
