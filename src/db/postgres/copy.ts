import Database from 'better-sqlite3';
import type pg from 'pg';
import { createPool } from './pool.js';
import { migratePostgres } from './migrate.js';
import { PG_MIGRATIONS } from './migrations/index.js';

/** Tables in an order that satisfies foreign keys (projects and agents defer theirs). */
export const COPIED_TABLES = [
  'orgs', 'identities', 'identity_channels', 'org_members', 'projects', 'agents', 'channel_settings', 'memory_documents',
  'conversations', 'audit_entries', 'audit_chains', 'audit_risk_counts', 'scheduler_tasks', 'webhook_deliveries',
  'idempotency_keys', 'org_webhook_secrets', 'webhook_payloads', 'webhook_receipts', 'org_webhook_activity', 'deploys',
  'deploy_deliveries', 'approvals', 'approval_votes',
] as const;

/** Identity columns and, where SQLite keeps one, the AUTOINCREMENT counter they continue from. */
const SEQUENCES: ReadonlyArray<{ table: string; column: string; autoincrement: boolean }> = [
  { table: 'audit_entries', column: 'seq', autoincrement: true },
  { table: 'memory_documents', column: 'seq', autoincrement: true },
  { table: 'conversations', column: 'seq', autoincrement: true },
  { table: 'deploys', column: 'seq', autoincrement: true },
  { table: 'approvals', column: 'seq', autoincrement: true },
  { table: 'approval_votes', column: 'seq', autoincrement: true },
  { table: 'agents', column: 'row_seq', autoincrement: false },
  { table: 'projects', column: 'row_seq', autoincrement: false },
];

const BATCH = 5_000;

export class CopyRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyRefused';
  }
}

export interface CopyReport {
  rows: Record<string, number>;
}

interface Column {
  name: string;
  type: string;
}

async function columnsOf(pool: pg.Pool, table: string): Promise<Column[]> {
  const { rows } = await pool.query<{ column_name: string; data_type: string }>(
    `SELECT column_name, data_type FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => ({ name: r.column_name, type: r.data_type }));
}

/** What the target holds beyond what the migrations put there (the default org, the closed gate). */
async function firstNonEmpty(pool: pg.Pool): Promise<string | undefined> {
  for (const t of COPIED_TABLES) {
    const where = t === 'orgs' ? "WHERE id <> 'default'" : '';
    const { rows } = await pool.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${t} ${where}) AS any`);
    if (rows[0]?.any) return t;
  }
  return undefined;
}

/**
 * Copies a SQLite database (at the current schema version) into an empty PostgreSQL
 * database, in one transaction: a failure leaves the target as it was. Every column is
 * copied as stored (ids, timestamps, hashes, digests, seals), so the audit chains verify the
 * same; identity counters continue after the largest value SQLite ever handed out.
 */
export async function copySqliteToPostgres(opts: { from: string; to: string; progress?: (line: string) => void }): Promise<CopyReport> {
  const progress = opts.progress ?? (() => undefined);
  let lite: Database.Database;
  try {
    lite = new Database(opts.from, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new CopyRefused(`cannot open the SQLite database ${opts.from}: ${(err as Error).message}`);
  }
  const pool = createPool({ url: opts.to, max: 2, applicationName: 'codespar-db-copy' });
  try {
    const want = Math.max(...PG_MIGRATIONS.map((m) => m.version));
    const have = (() => {
      try {
        return (lite.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get() as number | null) ?? 0;
      } catch {
        return 0;
      }
    })();
    if (have !== want) {
      throw new CopyRefused(
        have < want
          ? `the SQLite database is at schema version ${have}; start the server on it once to upgrade it to ${want}, then copy`
          : `the SQLite database is at schema version ${have}, newer than this build knows (${want})`,
      );
    }
    await migratePostgres(pool);
    const busy = await firstNonEmpty(pool);
    if (busy) throw new CopyRefused(`the target database is not empty (${busy} has rows); db:copy only fills an empty database`);

    const report: CopyReport = { rows: {} };
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      await client.query('SET CONSTRAINTS ALL DEFERRED');
      await client.query("DELETE FROM orgs WHERE id = 'default'");
      for (const table of COPIED_TABLES) report.rows[table] = await copyTable(lite, pool, client, table, progress);
      for (const s of SEQUENCES) await continueSequence(lite, client, s);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      client.release(broken);
    }
    return report;
  } finally {
    lite.close();
    await pool.end();
  }
}

async function copyTable(lite: Database.Database, pool: pg.Pool, client: pg.PoolClient, table: string, progress: (l: string) => void): Promise<number> {
  const columns = await columnsOf(pool, table);
  // row_seq is PostgreSQL's name for SQLite's implicit rowid (insertion order of agents and projects).
  const select = columns.map((c) => (c.name === 'row_seq' ? 'rowid AS row_seq' : c.name)).join(', ');
  const total = lite.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  // One array parameter per column: a batch is one statement however many rows it holds.
  const insert = `INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')})
    SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c.type}[]`).join(', ')})`;
  const rows = lite.prepare(`SELECT ${select} FROM ${table}`).raw(true).iterate() as IterableIterator<unknown[]>;
  let done = 0;
  let batch: unknown[][] = columns.map(() => []);
  let size = 0;
  const flush = async () => {
    if (size === 0) return;
    await client.query(insert, batch);
    done += size;
    progress(`${table}: ${done}/${total}`);
    batch = columns.map(() => []);
    size = 0;
  };
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) batch[i]!.push(row[i]);
    if (++size === BATCH) await flush();
  }
  await flush();
  if (total === 0) progress(`${table}: 0/0`);
  return done;
}

async function continueSequence(lite: Database.Database, client: pg.PoolClient, s: (typeof SEQUENCES)[number]): Promise<void> {
  const maxRow = (lite.prepare(`SELECT MAX(${s.autoincrement ? s.column : 'rowid'}) FROM ${s.table}`).pluck().get() as number | null) ?? 0;
  const counter = s.autoincrement
    ? ((lite.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(s.table) as number | undefined) ?? 0)
    : 0;
  const last = Math.max(maxRow, counter);
  await client.query(`SELECT setval(pg_get_serial_sequence($1, $2), $3, $4)`, [s.table, s.column, Math.max(last, 1), last > 0]);
}
