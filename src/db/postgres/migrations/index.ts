import type { PgMigration } from '../../migration.js';
import { pg009 } from './009-baseline.js';
import { pg010 } from './010-deploys-approvals.js';
import { pg011 } from './011-replicas.js';

/**
 * PostgreSQL's migrations, numbered as SQLite's: the list starts at the baseline (SQLite's
 * schema after its migration 9); append each new migration here and in the SQLite list
 * under the same number. Never edit one that has shipped.
 */
export const PG_MIGRATIONS: readonly PgMigration[] = [pg009, pg010, pg011];
