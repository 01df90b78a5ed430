import type { Config } from '../config.js';
import type { Engine } from './engine.js';
import { openSqliteEngine } from './sqlite/engine.js';

/** The engine the configuration names: PostgreSQL with DATABASE_URL, else SQLite at DATABASE_PATH. */
export async function openEngine(config: Pick<Config, 'DATABASE_PATH' | 'DATABASE_URL' | 'DATABASE_POOL_MAX'>): Promise<Engine> {
  if (config.DATABASE_URL !== undefined) throw new Error('DATABASE_URL is set, but this build has no PostgreSQL engine');
  return openSqliteEngine(config.DATABASE_PATH);
}
