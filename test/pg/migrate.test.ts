import { afterEach, describe, expect, inject, it } from 'vitest';
import type pg from 'pg';
import { createPool } from '../../src/db/postgres/pool.js';
import { migratePostgres, schemaVersion } from '../../src/db/postgres/migrate.js';
import { PG_MIGRATIONS } from '../../src/db/postgres/migrations/index.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { openTestDb } from '../helpers/deps.js';
import { admin, freshEmptyDatabase, freshMigratedDatabase, type TestDatabase } from '../helpers/pg.js';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function database(kind: 'empty' | 'migrated' = 'empty'): Promise<TestDatabase> {
  const db = kind === 'empty' ? await freshEmptyDatabase() : await freshMigratedDatabase();
  cleanup.push(db.drop);
  return db;
}
function pool(url: string, max = 2): pg.Pool {
  const p = createPool({ url, max });
  cleanup.push(() => p.end());
  return p;
}

describe('PostgreSQL migrations', () => {
  it('bring an empty database to the same version as SQLite', async () => {
    const db = await database();
    const p = pool(db.url);
    expect(await schemaVersion(p)).toBe(0);
    const done = await migratePostgres(p);
    expect(done).toEqual(PG_MIGRATIONS.map((m) => m.version));
    expect(await schemaVersion(p)).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
    expect(await migratePostgres(p)).toEqual([]);
  });

  it('give every table and column that SQLite has, and no other', async () => {
    const db = await database('migrated');
    const p = pool(db.url);
    const { rows } = await p.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const onPg = rows.map((r) => `${r.table_name}.${r.column_name}`).sort();
    const lite = openTestDb();
    const tables = lite
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[];
    const onSqlite = tables.flatMap((t) => (lite.prepare(`PRAGMA table_info(${t})`).all() as Array<{ name: string }>).map((c) => `${t}.${c.name}`)).sort();
    lite.close();
    // SQLite's implicit rowid orders ties in agents and projects; PostgreSQL names it. The
    // rate-limit counters replicas share are PostgreSQL's own (one SQLite process counts in memory).
    const pgOnly = ['agents.row_seq', 'projects.row_seq', 'rate_limit_hits.hits', 'rate_limit_hits.key', 'rate_limit_hits.reset_at'];
    expect(onPg).toEqual([...onSqlite, ...pgOnly].sort());
  });

  it('run once when three processes start at once against an empty database', async () => {
    const db = await database();
    const pools = [pool(db.url, 1), pool(db.url, 1), pool(db.url, 1)];
    const results = await Promise.all(pools.map((p) => migratePostgres(p)));
    expect(results.filter((r) => r.length > 0)).toEqual([PG_MIGRATIONS.map((m) => m.version)]);
    expect(results.filter((r) => r.length === 0)).toHaveLength(2);
    const { rows } = await pools[0]!.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    const orgs = await pools[0]!.query('SELECT id FROM orgs');
    expect(orgs.rows).toEqual([{ id: 'default' }]);
  });

  it('leave the database at the previous version when a migration fails, and release the lock', async () => {
    const db = await database('migrated');
    const p = pool(db.url);
    const bad = { version: 999, name: 'bad', sql: 'CREATE TABLE half_done (x INT); SELECT no_such_function();' };
    await expect(migratePostgres(p, [...PG_MIGRATIONS, bad])).rejects.toThrow(/no_such_function/);
    expect(await schemaVersion(p)).toBe(PG_MIGRATIONS.at(-1)!.version);
    const { rows } = await p.query("SELECT to_regclass('half_done') AS t");
    expect(rows[0].t).toBeNull();
    // The lock was released: a second migrator does not wait for ever.
    expect(await migratePostgres(p)).toEqual([]);
  });

  it('refuse a database that is not UTF8, naming the encoding', async () => {
    const name = `t_ascii_${process.pid}_${Date.now()}`;
    await admin((c) => c.query(`CREATE DATABASE ${name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`));
    cleanup.push(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
    const url = new URL(inject('pgAdminUrl'));
    url.pathname = `/${name}`;
    const p = pool(url.toString());
    await expect(migratePostgres(p)).rejects.toThrow('PostgreSQL database encoding is SQL_ASCII; CodeSpar needs a UTF8 database');
    expect(await schemaVersion(p)).toBe(0);
  });
});

describe('the audit trail on PostgreSQL', () => {
  const entry = (id: string, seq: number) =>
    `INSERT INTO audit_entries (id, org_id, chain_seq, timestamp, actor_type, actor_id, action, result, metadata, hash, risk)
     VALUES ('${id}', 'default', ${seq}, '2026-06-01T12:00:00.000Z', 'user', 'u', 'status', 'completed', '{}', 'sha256:x', 'low')`;

  it('refuses UPDATE, and DELETE or TRUNCATE unless retention opened the gate in its own transaction', async () => {
    const db = await database('migrated');
    const p = pool(db.url, 3);
    await p.query(entry('a1', 1));
    await p.query(entry('a2', 2));
    await expect(p.query("UPDATE audit_entries SET action = 'deploy' WHERE id = 'a1'")).rejects.toThrow('audit entries are append-only');
    await expect(p.query("DELETE FROM audit_entries WHERE id = 'a1'")).rejects.toThrow('audit entries are append-only');
    await expect(p.query('TRUNCATE audit_entries')).rejects.toThrow('audit entries are append-only');

    const retention = await p.connect();
    try {
      await retention.query('BEGIN');
      await retention.query('UPDATE audit_retention_gate SET open = 1 WHERE id = 1');
      await retention.query("DELETE FROM audit_entries WHERE id = 'a1'");
      // Another connection still meets a closed gate while retention's is open.
      await expect(p.query("DELETE FROM audit_entries WHERE id = 'a2'")).rejects.toThrow('audit entries are append-only');
      await retention.query('UPDATE audit_retention_gate SET open = 0 WHERE id = 1');
      await retention.query('COMMIT');
    } finally {
      retention.release();
    }
    const { rows } = await p.query('SELECT id FROM audit_entries ORDER BY seq');
    expect(rows).toEqual([{ id: 'a2' }]);
  });
});
