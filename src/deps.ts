import type { Config } from './config.js';
import type { Engine } from './db/engine.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { GitHubClient } from './github/github.client.js';
import type { SchedulerPorts } from './scheduler/scheduler.ports.js';
import type { HostResolver } from './outbound/outbound-guard.js';
import type { RateLimitStoreFactory } from './ratelimit/rate-limit-stores.js';

/** Everything createApp needs from the outside world; tests build their own. */
export interface AppDeps {
  config: Config;
  /** The storage engine (SQLite or PostgreSQL); createApp never asks which. */
  engine: Engine;
  clock: Clock;
  logger: Logger;
  version: string;
  /** When the process started (uptime on /health). */
  startedAt: Date;
  /** GitHub's REST API; built from config when absent (tests pass one with a short timeout). */
  github?: GitHubClient;
  /**
   * Replaces cross-domain ports the scheduled tasks use (services.ts wires the real ones);
   * tests plug in implementations backed by local stubs here.
   */
  ports?: Partial<SchedulerPorts>;
  /** Resolves host names of URLs given through the API (the system resolver when absent). */
  resolve?: HostResolver;
  /** Where rate-limit counters are shared between replicas (server.ts); absent, each app counts in memory. */
  rateLimitStore?: RateLimitStoreFactory;
}
