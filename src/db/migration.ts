import type pg from 'pg';
import type { Db } from './open.js';

/** One SQLite schema step (src/db/migrations). */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Runs after `sql`, in the same transaction: for data that SQL alone cannot compute. */
  run?: (db: Db) => void;
}

/** One PostgreSQL schema step (src/db/postgres/migrations), numbered as SQLite's. */
export interface PgMigration extends Omit<Migration, 'run'> {
  /** Runs after `sql`, in the same transaction: for data that SQL alone cannot compute. */
  run?: (client: pg.PoolClient) => Promise<void>;
}
