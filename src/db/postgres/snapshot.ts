import type pg from 'pg';
import type { AuditSnapshotReader } from '../../audit/audit.repository.js';
import { createChainReadsPg } from '../../audit/audit.chain-reads.pg.js';

/**
 * Verification's snapshot: one REPEATABLE READ, READ ONLY transaction on a pooled
 * connection, so every batch sees the database as it was at the transaction's first read
 * (taken here, before `fn` starts), whatever commits meanwhile. Batches are separate round
 * trips, so the event loop serves other requests between them; appends are never blocked
 * (readers take no locks that writers wait for).
 */
export function createPgSnapshotReader(pool: pg.Pool): AuditSnapshotReader {
  return {
    async read(fn) {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        try {
          // The snapshot is taken by the first statement: take it now.
          await client.query('SELECT 1');
          return await fn(createChainReadsPg(client));
        } finally {
          await client.query('COMMIT').catch(() => (broken = true));
        }
      } finally {
        client.release(broken);
      }
    },
  };
}
