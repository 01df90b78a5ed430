import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import pg from 'pg';
import { databaseUrl } from './pg-url.js';
import { createPostgresEngine, type PostgresEngine } from '../../src/db/postgres/engine.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** Drops the database, closing any connection still open to it. */
  drop: () => Promise<void>;
}

let adminPool: pg.Pool | undefined;

/** Runs `fn` on a connection to the server's maintenance database (one small pool per test process). */
export async function admin<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  // Idle connections do not keep the test process alive.
  adminPool ??= new pg.Pool({ connectionString: inject('pgAdminUrl'), max: 2, idleTimeoutMillis: 2_000, allowExitOnIdle: true });
  const c = await adminPool.connect();
  try {
    return await fn(c);
  } finally {
    c.release();
  }
}

async function create(from: string): Promise<TestDatabase> {
  const name = `t_${process.pid}_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${from} ${inject('pgCloneStrategy')}`));
  return {
    name,
    url: databaseUrl(inject('pgAdminUrl'), name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** A fresh database at the current schema, with nothing in it but what migrations insert. */
export const freshMigratedDatabase = (): Promise<TestDatabase> => create(inject('pgTemplate'));

/** A fresh database with no schema at all (for migration tests). */
export const freshEmptyDatabase = (): Promise<TestDatabase> => create('template0');

/**
 * A PostgreSQL engine over a database of its own (cloned from the template); close() ends
 * its pool and drops the database. A small pool: tests run many apps side by side.
 */
export async function makePgTestEngine(poolMax = 4): Promise<PostgresEngine> {
  const db = await freshMigratedDatabase();
  try {
    const engine = await createPostgresEngine({ url: db.url, poolMax, connectAttempts: 1 });
    return {
      ...engine,
      close: async () => {
        await engine.close();
        await db.drop();
      },
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
}
