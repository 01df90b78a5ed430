import type { Config } from '../config.js';
import type { Engine } from './engine.js';
import { openSqliteEngine } from './sqlite/engine.js';
import { createPostgresEngine } from './postgres/engine.js';

/** The engine the configuration names: PostgreSQL with DATABASE_URL, else SQLite at DATABASE_PATH. */
export async function openEngine(config: Pick<Config, 'DATABASE_PATH' | 'DATABASE_URL' | 'DATABASE_POOL_MAX'>): Promise<Engine> {
  if (config.DATABASE_URL !== undefined) return createPostgresEngine({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX });
  return openSqliteEngine(config.DATABASE_PATH);
}
