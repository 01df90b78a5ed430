import pg from 'pg';

/**
 * Type parsers for this engine's pools only (the driver's global table stays as shipped):
 * BIGINT columns and COUNT(*) come back as numbers, as SQLite returns them. Every position
 * and counter stays far below 2^53. Timestamps are stored as the same ISO-8601 text the
 * SQLite engine stores, so no date parser is involved.
 */
const INT8_OID = 20;
const NUMERIC_OID = 1700;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export interface PoolOptions {
  url: string;
  max: number;
  /** Shown in pg_stat_activity: which process holds a connection. */
  applicationName?: string;
}

export function createPool({ url, max, applicationName = 'codespar-api' }: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its server emits on the pool; without a listener that
  // would crash the process. The next checkout gets a fresh connection.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `fn` inside one transaction on one pooled connection: COMMIT on success, ROLLBACK on throw. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(begin);
    try {
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    }
  } finally {
    // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
    client.release(broken);
  }
}
