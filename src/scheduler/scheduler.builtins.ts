import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Engine } from '../db/engine.js';
import type { Logger } from '../logger.js';
import type { AuditService } from '../audit/audit.service.js';
import type { HealthService } from '../health/health.service.js';
import type { SchedulerPorts } from './scheduler.ports.js';
import type { TaskDefinition } from './scheduler.service.js';
import { healthCheckTask } from './tasks/health-check.task.js';
import { buildStatusReportTask } from './tasks/build-status-report.task.js';
import { auditCleanupTask } from './tasks/audit-cleanup.task.js';

export interface BuiltinTaskDeps {
  config: Config;
  engine: Engine;
  clock: Clock;
  logger: Logger;
  audit: AuditService;
  health: HealthService;
  ports: SchedulerPorts;
  /** Memory's conversation retention, run with the audit's. */
  purgeConversations?: () => Promise<number>;
}

/** The three built-in tasks, in the order GET /api/scheduler lists them. */
export function builtinTasks({ config, engine, clock, logger, audit, health, ports, purgeConversations }: BuiltinTaskDeps): TaskDefinition[] {
  return [
    healthCheckTask({
      ping: () => engine.ping(),
      channels: ports.channels,
      agents: ports.agents,
      health,
      audit,
      clock,
      logger: logger.child({ task: 'health-check' }),
    }),
    buildStatusReportTask({
      hasToken: config.GITHUB_TOKEN !== undefined,
      projects: ports.projects,
      github: ports.github,
      logger: logger.child({ task: 'build-status-report' }),
    }),
    auditCleanupTask({ uow: engine.uow, audit, retentionDays: config.AUDIT_RETENTION_DAYS, purgeConversations }),
  ];
}
