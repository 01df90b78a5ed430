import { createHash } from 'node:crypto';
import type { PostgresEngine } from '../../src/db/postgres/engine.js';
import type { Engine } from '../../src/db/engine.js';
import { sqliteOf } from './app.js';
import { dbSnapshot } from '../reliability/support.js';

type WithEngine = { deps: { engine: Engine } };

/**
 * Every table's row count and a digest of its rows (idempotency keys left out), on either
 * engine: what "nothing changed" compares.
 */
export async function tableSnapshot(t: WithEngine): Promise<Record<string, { rows: number; hash: string }>> {
  if (t.deps.engine.kind === 'sqlite') return dbSnapshot(sqliteOf(t));
  const { pool } = t.deps.engine as PostgresEngine;
  const { rows: tables } = await pool.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'idempotency_keys' ORDER BY table_name`,
  );
  const out: Record<string, { rows: number; hash: string }> = {};
  for (const { name } of tables) {
    const { rows } = await pool.query({ text: `SELECT * FROM "${name}"`, rowMode: 'array' });
    const lines = (rows as unknown[][]).map((r) => JSON.stringify(r.map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : v)))).sort();
    out[name] = { rows: rows.length, hash: createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16) };
  }
  return out;
}

/** How many rows a table holds, on either engine. */
export async function countRows(t: WithEngine, table: string): Promise<number> {
  if (t.deps.engine.kind === 'sqlite') return sqliteOf(t).prepare(`SELECT COUNT(*) FROM "${table}"`).pluck().get() as number;
  const { rows } = await (t.deps.engine as PostgresEngine).pool.query<{ n: number }>(`SELECT COUNT(*) AS n FROM "${table}"`);
  return rows[0]!.n;
}

/** The first column of a query's rows, on either engine (SQL both dialects read alike). */
export async function column<T = unknown>(t: WithEngine, sql: string): Promise<T[]> {
  if (t.deps.engine.kind === 'sqlite') return sqliteOf(t).prepare(sql).pluck().all() as T[];
  const { rows } = await (t.deps.engine as PostgresEngine).pool.query({ text: sql, rowMode: 'array' });
  return (rows as unknown[][]).map((r) => r[0] as T);
}

/** Runs one statement with `?` placeholders on either engine (a test setting up a state the API cannot reach). */
export async function execSql(t: WithEngine, sql: string, ...params: unknown[]): Promise<void> {
  if (t.deps.engine.kind === 'sqlite') {
    sqliteOf(t).prepare(sql).run(...params);
    return;
  }
  let n = 0;
  await (t.deps.engine as PostgresEngine).pool.query(sql.replace(/\?/g, () => `$${++n}`), params);
}

/**
 * What someone who can write the database does behind the server's back: one statement with
 * `?` placeholders, the append-only triggers out of the way (SQLite: dropped; PostgreSQL: a
 * superuser session that fires no triggers).
 */
export async function tamperSql(t: WithEngine, sql: string, ...params: unknown[]): Promise<void> {
  if (t.deps.engine.kind === 'sqlite') {
    sqliteOf(t).exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
    sqliteOf(t).prepare(sql).run(...params);
    return;
  }
  const client = await (t.deps.engine as PostgresEngine).pool.connect();
  try {
    let n = 0;
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(sql.replace(/\?/g, () => `$${++n}`), params);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

/** A query's rows as objects, on either engine (SQL both dialects read alike). */
export async function queryRows<R>(t: WithEngine, sql: string): Promise<R[]> {
  if (t.deps.engine.kind === 'sqlite') return sqliteOf(t).prepare(sql).all() as R[];
  return (await (t.deps.engine as PostgresEngine).pool.query(sql)).rows as R[];
}

/** Every value of every row of every table, as text, on either engine: where a leaked secret would show. */
export async function everyRowText(t: WithEngine): Promise<string> {
  const tables =
    t.deps.engine.kind === 'sqlite'
      ? await column<string>(t, "SELECT name FROM sqlite_master WHERE type = 'table'")
      : await column<string>(t, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'");
  const texts = await Promise.all(tables.map(async (name) => JSON.stringify(await queryRows(t, `SELECT * FROM "${name}"`))));
  return texts.join('\n');
}
