import type { AppDeps } from './deps.js';
import { createAuditStore } from './audit/audit.store.js';
import { createAuditService } from './audit/audit.service.js';
import { createOrgsStore } from './orgs/orgs.store.js';
import { createOrgsService, type OrgRelations } from './orgs/orgs.service.js';
import { createHealthService } from './health/health.service.js';
import { createAgentsStore } from './agents/agents.store.js';
import { createAgentsService, type AgentPorts } from './agents/agents.service.js';
import { createProjectsStore } from './projects/projects.store.js';
import { createProjectsService } from './projects/projects.service.js';
import { createGitHubClient } from './github/github.client.js';

/**
 * Builds every domain service from the injected deps, in dependency order. Domains talk
 * to each other only through what is wired here: a port that points at a domain built
 * later is resolved lazily.
 */
export function createServices(deps: AppDeps) {
  const { db, clock, config, logger } = deps;
  const github =
    deps.github ?? createGitHubClient({ baseUrl: config.GITHUB_API_URL, token: config.GITHUB_TOKEN, logger });
  const orgsStore = createOrgsStore(db);
  const audit = createAuditService({ db, store: createAuditStore(db), clock, orgIds: () => orgsStore.ids() });
  const health = createHealthService({ clock, version: deps.version, startedAt: deps.startedAt });

  const agentPorts: AgentPorts = {
    project: (orgId, projectId) => {
      const p = projects.inOrg(orgId, projectId);
      return p && { id: p.id, name: p.name, repo: p.repo, defaultBranch: p.defaultBranch };
    },
    memorySummary: () => ({ embeddings: 0, storageMB: 0 }),
    connectedChannels: () => ['web'],
    adoptProjectAgent: (orgId, projectId, agentId) => projects.adoptAgent(orgId, projectId, agentId),
  };
  const agents = createAgentsService({ db, store: createAgentsStore(db), audit, clock, ports: () => agentPorts });
  const projects = createProjectsService({ db, store: createProjectsStore(db), audit, agents, github, clock, config, logger });

  const relations: OrgRelations = {
    projects: (orgId) =>
      projects.listForOrg(orgId).map((p) => {
        const agent = p.agentId ? agents.byId(p.agentId) : undefined;
        return { id: p.id, name: p.name, repo: p.repo, agentId: p.agentId, agentStatus: agent?.status ?? null, autonomyLevel: agent?.autonomyLevel ?? null, createdAt: p.createdAt };
      }),
    projectCount: (orgId) => projects.count(orgId),
    members: () => [],
    memberCount: () => 0,
  };
  const orgs = createOrgsService({ db, store: orgsStore, audit, clock, relations: () => relations });

  return { audit, orgs, health, agents, projects, github };
}

export type Services = ReturnType<typeof createServices>;
