import { afterEach } from 'vitest';
import type pg from 'pg';
import { createPool } from '../../src/db/postgres/pool.js';
import { freshMigratedDatabase, type TestDatabase } from '../helpers/pg.js';

/** Resources a test opened, closed after it in reverse order. */
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
export const onCleanup = (f: () => Promise<unknown>): void => void cleanup.push(f);

export async function migratedDatabase(): Promise<TestDatabase> {
  const db = await freshMigratedDatabase();
  onCleanup(db.drop);
  return db;
}

/** A pool of its own: to the database, as good as another process. */
export function pool(url: string, max = 4): pg.Pool {
  const p = createPool({ url, max });
  onCleanup(() => p.end());
  return p;
}

export const entrySql = (id: string, orgId: string, chainSeq: number) => ({
  text: `INSERT INTO audit_entries (id, org_id, chain_seq, timestamp, actor_type, actor_id, action, result, metadata, hash, risk)
         VALUES ($1, $2, $3, '2026-06-01T12:00:00.000Z', 'user', 'u', 'status', 'completed', '{}', 'sha256:x', 'low')`,
  values: [id, orgId, chainSeq],
});
