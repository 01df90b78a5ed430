import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { AuditService } from '../../audit/audit.service.js';
import type { HealthCheck, HealthService } from '../../health/health.service.js';
import { DEFAULT_ORG } from '../../http/org-scope.js';
import type { TaskDefinition } from '../scheduler.service.js';
import type { AgentsHealthPort, ChannelsHealthPort } from '../scheduler.ports.js';
import type { BuiltinTaskName } from '../scheduler.catalog.js';

export interface HealthCheckDeps {
  /** A real query against the database; throws when it is unusable. */
  ping: () => Promise<void>;
  channels: ChannelsHealthPort;
  agents: AgentsHealthPort;
  health: Pick<HealthService, 'update'>;
  audit: Pick<AuditService, 'append'>;
  clock: Clock;
  logger: Logger;
}

// /health is public: failures are named generically there; the log line carries the cause.
async function checkDatabase({ ping, logger }: HealthCheckDeps, checkedAt: string): Promise<HealthCheck> {
  try {
    await ping();
    return { status: 'ok', checkedAt };
  } catch (err) {
    logger.error({ err }, 'health-check: database query failed');
    return { status: 'degraded', checkedAt, error: 'Database query failed' };
  }
}

async function checkChannels({ channels, logger }: HealthCheckDeps, checkedAt: string): Promise<HealthCheck> {
  try {
    const { enabled, disconnected } = await channels.reconnectDisconnected();
    return { status: disconnected.length ? 'degraded' : 'ok', checkedAt, enabled, disconnected };
  } catch (err) {
    logger.error({ err }, 'health-check: channel check failed');
    return { status: 'degraded', checkedAt, error: 'Channel check failed' };
  }
}

async function checkAgents({ agents, logger }: HealthCheckDeps, checkedAt: string): Promise<HealthCheck> {
  try {
    const inError = await agents.countInError();
    return { status: inError > 0 ? 'degraded' : 'ok', checkedAt, inError };
  } catch (err) {
    logger.error({ err }, 'health-check: agent check failed');
    return { status: 'degraded', checkedAt, error: 'Agent check failed' };
  }
}

/**
 * `health-check`: checks the database, reconnects enabled channels that are down, counts
 * agents in ERROR, and feeds GET /health. `health_degraded` is appended when the state
 * turns bad, not on every bad run; should the append fail (the database may be what is
 * down), the next bad run tries again.
 */
export function healthCheckTask(deps: HealthCheckDeps): TaskDefinition {
  let degraded = false;
  /** This process's own view: its database connection, its channel connections, its /health. */
  const check = async () => {
    const checkedAt = deps.clock.now().toISOString();
    const database = await checkDatabase(deps, checkedAt);
    const channels = await checkChannels(deps, checkedAt);
    const agents = await checkAgents(deps, checkedAt);
    deps.health.update({ database, channels, agents });
    return { database, channels, agents };
  };
  return {
    name: 'health-check' satisfies BuiltinTaskName,
    schedule: '*/5 * * * *',
    intervalMs: 300_000,
    builtin: true,
    // Replicas that do not take a tick still check their own connections and keep their /health current.
    local: async () => void (await check()),
    handler: async () => {
      const { database, channels, agents } = await check();
      const bad = [database, channels, agents].some((c) => c.status === 'degraded');
      if (bad && !degraded) {
        deps.logger.warn({ database, channels, agents }, 'health degraded');
        await deps.audit.append({
          orgId: DEFAULT_ORG,
          actorType: 'system',
          actorId: 'health-check',
          action: 'health_degraded',
          metadata: {
            database: database.status,
            channelsDisconnected: (channels.disconnected as string[] | undefined) ?? [],
            agentsInError: (agents.inError as number | undefined) ?? 0,
          },
        });
      } else if (!bad && degraded) {
        deps.logger.info('health recovered');
      }
      degraded = bad;
    },
  };
}
