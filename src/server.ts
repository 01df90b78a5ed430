import fs from 'node:fs';
import type { Server, ServerResponse } from 'node:http';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openEngine } from './db/open-engine.js';
import type { Engine } from './db/engine.js';
import { createApp } from './app.js';
import { createLogger, type Logger } from './logger.js';
import { systemClock } from './clock.js';
import { createHttpServer } from './http/http-server.js';
import type { ResealReport } from './secrets/secret-box.js';
import { openRateLimitStores, RedisUnreachableError, type RateLimitStores } from './ratelimit/rate-limit-stores.js';

const SHUTDOWN_GRACE_MS = 10_000;

function readVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function configOrExit(): Config {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** A database that cannot be opened is bad configuration: one line, exit 1, as for config. */
async function engineOrExit(config: Config, logger: Logger): Promise<Engine> {
  try {
    return await openEngine(config, logger);
  } catch (err) {
    const what = config.DATABASE_URL === undefined ? `DATABASE_PATH cannot be opened (${(err as Error).message}) (got ${JSON.stringify(config.DATABASE_PATH)})` : `DATABASE_URL cannot be used (${(err as Error).message})`;
    process.stderr.write(`Invalid configuration: ${what}\n`);
    process.exit(1);
  }
}

/** REDIS_URL set but Redis unreachable at start-up: one line, exit 1, as for the database. */
async function rateLimitsOrExit(config: Config, engine: Engine, logger: Logger): Promise<RateLimitStores> {
  try {
    return await openRateLimitStores(config, engine, logger);
  } catch (err) {
    if (!(err instanceof RedisUnreachableError)) throw err;
    process.stderr.write(`Invalid configuration: REDIS_URL cannot be used (${err.message})\n`);
    await engine.close().catch(() => undefined);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const config = configOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  const engine = await engineOrExit(config, logger);
  if (engine.migrated.length) logger.info({ applied: engine.migrated, engine: engine.kind }, 'database migrated');

  if (!config.GITHUB_WEBHOOK_SECRET) {
    logger.warn('GITHUB_WEBHOOK_SECRET is not set: webhook deliveries are accepted without a signature');
  }
  if (!config.DEPLOY_WEBHOOK_SECRET) {
    logger.warn('DEPLOY_WEBHOOK_SECRET is not set: deploy reports to /webhooks/deploy are accepted without a signature');
  }
  if (config.API_TOKENS.length === 0) {
    logger.warn('API_TOKENS is not set: the API is open to anyone who can reach it (x-org-id is not access control)');
  }
  if (!config.SECRETS_KEY) {
    logger.warn('SECRETS_KEY is not set: channel settings and org webhook secrets are stored in plain text');
  }
  const rateLimits = await rateLimitsOrExit(config, engine, logger);
  const { app, services } = await createApp({ config, engine, clock: systemClock, logger, version: readVersion(), startedAt, rateLimitStore: rateLimits.factory });
  secretsOrExit(await services.secretsAtRest.reseal(), config, logger);
  await services.idempotency().abandonInProgress();
  const server = createHttpServer(app, logger);
  server.listen(config.PORT, config.HOST, () => {
    logger.info({ port: config.PORT, host: config.HOST, engine: engine.kind, rateLimits: rateLimits.kind, ...(engine.kind === 'sqlite' ? { database: config.DATABASE_PATH } : {}) }, 'CodeSpar API listening');
    // Only once the server is up, so a failed listen never leaves timers running.
    services.scheduler.start();
    // Not awaited: channel checks run in the background (status `connecting` meanwhile);
    // once they are done, a first health check makes /health meaningful without waiting
    // for the schedule (it is skipped when the scheduler is disabled or the task paused).
    void services.channels
      .start()
      .then(() => services.scheduler.fire('health-check'))
      .catch((err: unknown) => logger.error({ err }, 'start-up checks failed'));
  });
  server.on('error', (err) => {
    logger.fatal({ err }, 'server failed to start');
    logger.flush(() => process.exit(1));
  });
  installShutdown(server, logger, () => services.events.closeAll(), async () => {
    // Before the database closes: no new runs, and runs in flight get to record themselves.
    await services.scheduler.stop();
    await rateLimits.close();
    await engine.close();
  });
}

/**
 * Secrets the database holds but this key cannot open would leave channels and org URLs
 * silently broken: like a bad variable, that stops the process with one line (no secret in it).
 */
function secretsOrExit(report: ResealReport, config: Config, logger: Logger): void {
  if (report.unreadable.length > 0) {
    const what = report.unreadable.join(', ');
    const why = config.SECRETS_KEY ? `does not decrypt these stored secrets (sealed with another key): ${what}` : `is not set, but these stored secrets are encrypted: ${what}`;
    process.stderr.write(`Invalid configuration: SECRETS_KEY ${why}\n`);
    process.exit(1);
  }
  if (report.sealed > 0) logger.info({ sealed: report.sealed }, 'stored secrets encrypted with SECRETS_KEY');
}

/** SIGTERM/SIGINT: close event streams, stop accepting, let in-flight requests finish (10 s at most), close, exit 0. */
function installShutdown(server: Server, logger: Logger, first: () => void, cleanup: () => Promise<void>): void {
  let stopping = false;
  // Once stopping, new responses ask to close their connection, and connections that fall
  // idle after their last response are closed promptly instead of at the client's idle timeout.
  server.on('request', (_req, res: ServerResponse) => {
    if (stopping) res.setHeader('Connection', 'close');
  });
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Event streams never end on their own: they are closed first, so the server can drain.
    first();
    const force = setTimeout(() => {
      logger.warn('in-flight requests did not finish in time; closing connections');
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    sweep.unref();
    server.close(() => {
      clearTimeout(force);
      clearInterval(sweep);
      cleanup()
        .catch((err: unknown) => logger.error({ err }, 'error during shutdown'))
        .finally(() => {
          logger.info('stopped');
          logger.flush(() => process.exit(0));
        });
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
