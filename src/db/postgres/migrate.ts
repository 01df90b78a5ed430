import type pg from 'pg';
import type { PgMigration } from '../migration.js';
import { PG_MIGRATIONS } from './migrations/index.js';

/**
 * Session advisory lock held while migrating: every process that starts against the same
 * database waits here, then finds the work done. The key is arbitrary but fixed ("CodeSpar"
 * in ASCII), so it never meets another application's lock in a shared database.
 */
export const MIGRATION_LOCK_KEY = 0x436f646553706172n;

/**
 * Applies every migration newer than the database's recorded version, each in its own
 * transaction with its bookkeeping row. Safe when any number of processes start at once:
 * the whole check-and-apply runs under one advisory lock, so one of them migrates and the
 * others read the finished list. The lock is a session lock: a process that dies while
 * migrating releases it with its connection (and its open transaction rolls back).
 */
export async function migratePostgres(pool: pg.Pool, migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<number[]> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await assertUtf8(client);
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((r) => r.version));
      const done: number[] = [];
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (applied.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await m.run?.(client);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
            m.version,
            m.name,
            new Date().toISOString(),
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {
            broken = true;
          });
          throw err;
        }
        done.push(m.version);
      }
      return done;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]).catch(() => {
        broken = true;
      });
    }
  } finally {
    client.release(broken);
  }
}

/**
 * Lengths in the audit digest are UTF-8 byte counts computed by the database
 * (octet_length), and text must round-trip unchanged: only a UTF-8 database gives both.
 */
async function assertUtf8(client: pg.PoolClient): Promise<void> {
  const { rows } = await client.query<{ server_encoding: string }>('SHOW server_encoding');
  const encoding = rows[0]?.server_encoding;
  if (encoding !== 'UTF8') {
    throw new Error(`PostgreSQL database encoding is ${encoding ?? 'unknown'}; CodeSpar needs a UTF8 database`);
  }
}

/** The highest migration version recorded in a database (0 for none). */
export async function schemaVersion(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ v: number | null }>(
    "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN NULL ELSE 1 END AS v",
  );
  if (rows[0]?.v === null) return 0;
  const r = await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return r.rows[0]?.v ?? 0;
}
