import type { AppDeps } from './deps.js';
import type { Db } from './db/open.js';
import { createAuditStore } from './audit/audit.store.js';
import { createAuditService } from './audit/audit.service.js';
import { createOrgsStore } from './orgs/orgs.store.js';
import { createOrgsService, noRelations, type OrgRelations } from './orgs/orgs.service.js';
import { createHealthService } from './health/health.service.js';
import { createChannelsStore } from './channels/channels.store.js';
import { createChannelsService } from './channels/channels.service.js';
import { CHANNEL_NAMES } from './channels/channels.catalog.js';
import { createWebMessagesService } from './channels/web-messages.service.js';
import { createMemoryStore } from './memory/memory.store.js';
import { createMemoryService } from './memory/memory.service.js';
import { createHashingEmbedder } from './memory/embedder.js';
import { createIdentityStore } from './identity/identity.store.js';
import { createIdentityService } from './identity/identity.service.js';
import { createMembersStore } from './identity/members.store.js';
import { createMembersService } from './identity/members.service.js';

/**
 * TODO(projects service): interim read of the projects table until the projects domain is
 * merged; then wire `projects.exists(orgId, id)` and the project's repo from its service.
 */
function interimProjectLookup(db: Db) {
  const find = db.prepare<[string], { org_id: string; repo: string }>('SELECT org_id, repo FROM projects WHERE id = ?');
  return {
    exists: (orgId: string, projectId: string): boolean => find.get(projectId)?.org_id === orgId,
    repo(orgId: string | null, projectId: string): string | null {
      const p = find.get(projectId);
      return p && (orgId === null || p.org_id === orgId) ? p.repo : null;
    },
  };
}

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
  const projects = interimProjectLookup(db);

  const channels = createChannelsService({ db, store: createChannelsStore(db), audit, clock, config, logger });
  const memory = createMemoryService({
    store: createMemoryStore(db),
    clock,
    embedder: createHashingEmbedder(),
    channelNames: CHANNEL_NAMES,
    retentionDays: config.AUDIT_RETENTION_DAYS,
    projectRepo: projects.repo,
  });
  const identityStore = createIdentityStore(db);
  const membersStore = createMembersStore(db);
  const identity = createIdentityService({ db, store: identityStore, members: membersStore, audit, clock });
  const members = createMembersService({
    db,
    store: membersStore,
    identities: identityStore,
    audit,
    clock,
    assertOrgVisible: (scope, orgId) => orgs.assertVisible(scope, orgId),
  });
  const webMessages = createWebMessagesService({
    db,
    audit,
    clock,
    resolveChannelUser: (u) => identity.resolveChannelUser(u),
    recordConversation: (c) => memory.recordConversation(c),
    addDocument: (d) => memory.addDocument(d),
    projectExists: projects.exists,
    // TODO(agents service): count on the project agent (agents.recordMessage) once merged.
    recordMessage: () => {},
  });

  relations = { ...noRelations, members: members.list, memberCount: members.count };
  return { audit, orgs, health, channels, memory, identity, members, webMessages };
}

export type Services = ReturnType<typeof createServices>;
