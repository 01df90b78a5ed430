import type { Clock } from '../clock.js';
import type { EngineKind } from '../db/engine.js';
import type { OrgScope } from '../http/org-scope.js';
import type { StatusRepository } from './status.repository.js';
import type { StatusResponse } from './status.schemas.js';

const DAY_MS = 86_400_000;

export interface StatusServiceDeps {
  /** The repository of the engine (or of the unit of work) in use at the time of the call. */
  repository: () => StatusRepository;
  /** The storage engine's name, as /health gives it. */
  engine: EngineKind;
  clock: Clock;
  version: string;
  startedAt: Date;
  /** Every status an agent can have: each is listed in `byStatus`, 0 when none has it. */
  agentStatuses: readonly string[];
  /** Approvals still open (pending and not past their expiry) in the scope. */
  approvalsPending: (scope: OrgScope) => Promise<number>;
}

export function createStatusService({ repository, engine, clock, version, startedAt, agentStatuses, approvalsPending }: StatusServiceDeps) {
  return {
    /** The instance at a glance, counted in the caller's scope (an org-scoped caller sees its org only). */
    async status(scope: OrgScope): Promise<StatusResponse> {
      const now = clock.now().getTime();
      const [c, pending] = await Promise.all([repository().counts(scope.orgId, new Date(now - DAY_MS).toISOString()), approvalsPending(scope)]);
      const byStatus: Record<string, number> = Object.fromEntries(agentStatuses.map((s) => [s, 0]));
      for (const [status, n] of Object.entries(c.agentsByStatus)) byStatus[status] = (byStatus[status] ?? 0) + n;
      return {
        version,
        engine,
        uptime: Math.max(0, Math.floor((now - startedAt.getTime()) / 1000)),
        agents: { total: Object.values(byStatus).reduce((a, b) => a + b, 0), byStatus },
        projects: c.projects,
        orgs: c.orgs,
        auditEntries: c.auditEntries,
        webhookDeliveries24h: c.webhookDeliveries,
        approvalsPending: pending,
      };
    },
  };
}

export type StatusService = ReturnType<typeof createStatusService>;
