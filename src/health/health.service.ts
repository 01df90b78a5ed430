import type { Clock } from '../clock.js';
import type { EngineKind } from '../db/engine.js';

export type CheckStatus = 'ok' | 'degraded' | 'unknown';

export interface HealthCheck {
  status: CheckStatus;
  [detail: string]: unknown;
}

export interface HealthChecks {
  database: HealthCheck;
  channels: HealthCheck;
  agents: HealthCheck;
  scheduler: HealthCheck;
}

/**
 * Holds what the last health-check run found; GET /health reads it (cheap, no I/O per
 * request). Until the first run, only the database is known (it just migrated).
 */
export function createHealthService({ clock, version, startedAt, engine }: { clock: Clock; version: string; startedAt: Date; engine: EngineKind }) {
  let checks: HealthChecks = {
    database: { status: 'ok', engine },
    channels: { status: 'unknown' },
    agents: { status: 'unknown' },
    scheduler: { status: 'unknown' },
  };
  return {
    update(partial: Partial<HealthChecks>): void {
      // The engine is part of the database line whatever a check reports.
      checks = { ...checks, ...partial, database: { ...(partial.database ?? checks.database), engine } };
    },
    checks: (): HealthChecks => checks,
    degraded: (): boolean => Object.values(checks).some((c) => c.status === 'degraded'),
    report() {
      return {
        status: this.degraded() ? ('degraded' as const) : ('ok' as const),
        version,
        uptime: Math.max(0, Math.floor((clock.now().getTime() - startedAt.getTime()) / 1000)),
        checks,
      };
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;
