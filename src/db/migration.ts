import type { Db } from './open.js';

/** One SQLite schema step (src/db/migrations); other engines keep their own list. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Runs after `sql`, in the same transaction: for data that SQL alone cannot compute. */
  run?: (db: Db) => void;
}
