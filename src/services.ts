import type { AppDeps } from './deps.js';
import { createAuditStore } from './audit/audit.store.js';
import { createAuditService } from './audit/audit.service.js';
import { createOrgsStore } from './orgs/orgs.store.js';
import { createOrgsService, noRelations, type OrgRelations } from './orgs/orgs.service.js';
import { createHealthService } from './health/health.service.js';

/**
 * Builds every domain service from the injected deps, in dependency order. Domains talk
 * to each other only through what is wired here.
 */
export function createServices(deps: AppDeps) {
  const { db, clock } = deps;
  const orgsStore = createOrgsStore(db);
  const audit = createAuditService({ db, store: createAuditStore(db), clock, orgIds: () => orgsStore.ids() });
  let relations: OrgRelations = noRelations;
  const orgs = createOrgsService({ db, store: orgsStore, audit, clock, relations: () => relations });
  const health = createHealthService({ clock, version: deps.version, startedAt: deps.startedAt });

  relations = { ...noRelations };
  return { audit, orgs, health };
}

export type Services = ReturnType<typeof createServices>;
