import type { Config } from '../config.js';
import type { Engine } from './engine.js';
import type { Logger } from '../logger.js';
import { openSqliteEngine } from './sqlite/engine.js';

/** The engine the configuration names: PostgreSQL with DATABASE_URL, else SQLite at DATABASE_PATH. */
export async function openEngine(config: Pick<Config, 'DATABASE_PATH' | 'DATABASE_URL' | 'DATABASE_POOL_MAX'>, logger?: Logger): Promise<Engine> {
  if (config.DATABASE_URL !== undefined) {
    // Loaded only here: a server on SQLite never loads the PostgreSQL client (start-up time).
    const { createPostgresEngine } = await import('./postgres/engine.js');
    return createPostgresEngine({
      url: config.DATABASE_URL,
      poolMax: config.DATABASE_POOL_MAX,
      onBusError: logger && ((err) => logger.warn({ err }, 'live events: PostgreSQL connection failed')),
    });
  }
  return openSqliteEngine(config.DATABASE_PATH);
}
