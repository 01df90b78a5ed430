import type { AppDeps } from './deps.js';
import { createAuditStore } from './audit/audit.store.js';
import { createAuditService } from './audit/audit.service.js';
import { createOrgsStore } from './orgs/orgs.store.js';
import { createOrgsService, noRelations, type OrgRelations } from './orgs/orgs.service.js';
import { createHealthService } from './health/health.service.js';
import { createGithubClient } from './github/github.client.js';
import { createSchedulerStore } from './scheduler/scheduler.store.js';
import { createSchedulerService } from './scheduler/scheduler.service.js';
import { nodeCronDriver } from './scheduler/scheduler.driver.js';
import { builtinTasks } from './scheduler/scheduler.builtins.js';
import type { SchedulerPorts } from './scheduler/scheduler.ports.js';

/**
 * MINIMAL STAND-INS until the channels, agents and projects domains are merged: no channel
 * enabled, no agent in ERROR, no project to report on. Replace each with the owning
 * domain's service when it lands.
 */
const pendingDomainPorts: Omit<SchedulerPorts, 'github'> = {
  channels: { reconnectDisconnected: async () => ({ enabled: [], disconnected: [] }) },
  agents: { countInError: () => 0 },
  projects: { listForBuildReport: () => [], setLastBuild: () => {} },
};

/**
 * Builds every domain service from the injected deps, in dependency order. Domains talk
 * to each other only through what is wired here.
 */
export function createServices(deps: AppDeps) {
  const { db, clock, config, logger } = deps;
  const orgsStore = createOrgsStore(db);
  const audit = createAuditService({ db, store: createAuditStore(db), clock, orgIds: () => orgsStore.ids() });
  let relations: OrgRelations = noRelations;
  const orgs = createOrgsService({ db, store: orgsStore, audit, clock, relations: () => relations });
  const health = createHealthService({ clock, version: deps.version, startedAt: deps.startedAt });
  const github = createGithubClient({ baseUrl: config.GITHUB_API_URL, token: config.GITHUB_TOKEN, logger });

  const ports: SchedulerPorts = {
    channels: deps.ports?.channels ?? pendingDomainPorts.channels,
    agents: deps.ports?.agents ?? pendingDomainPorts.agents,
    projects: deps.ports?.projects ?? pendingDomainPorts.projects,
    github: deps.ports?.github ?? github,
  };
  const scheduler = createSchedulerService({
    db,
    store: createSchedulerStore(db),
    audit,
    clock,
    logger,
    health,
    enabled: config.SCHEDULER_ENABLED,
    driver: nodeCronDriver(logger),
  });
  for (const task of builtinTasks({ config, db, clock, logger, audit, health, ports })) scheduler.register(task);

  relations = { ...noRelations };
  return { audit, orgs, health, github, scheduler };
}

export type Services = ReturnType<typeof createServices>;
