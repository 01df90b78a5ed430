import Database from 'better-sqlite3';
import type { Db } from '../open.js';
import type { AuditSnapshotReader } from '../../audit/audit.repository.js';
import { asyncChainReads, createChainReadsSync } from '../../audit/audit.chain-reads.sqlite.js';

/**
 * Verification's snapshot on SQLite: over a database file, a read-only connection of its
 * own inside one read transaction (a WAL snapshot: appends and retention that commit
 * meanwhile are not seen); it is taken before read() returns its promise. An in-memory
 * database has no second connection: the main one is held for the whole read instead.
 */
export function createSqliteSnapshotReader(db: Db, exclusive: <T>(fn: () => Promise<T>) => Promise<T>): AuditSnapshotReader {
  const mainReads = asyncChainReads(createChainReadsSync(db));
  return {
    async read(fn) {
      if (db.memory) return exclusive(() => fn(mainReads));
      const conn = new Database(db.name, { readonly: true, fileMustExist: true });
      try {
        conn.pragma('busy_timeout = 5000');
        const reads = asyncChainReads(createChainReadsSync(conn));
        conn.exec('BEGIN');
        try {
          // A deferred transaction takes its snapshot at its first read: now.
          conn.prepare('SELECT COUNT(*) FROM audit_chains').get();
          return await fn(reads);
        } finally {
          conn.exec('COMMIT');
        }
      } finally {
        conn.close();
      }
    },
  };
}
