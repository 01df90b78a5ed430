import type { AppDeps } from './deps.js';
import { createAuditStore } from './audit/audit.store.js';
import { createAuditService } from './audit/audit.service.js';
import { createSealer } from './audit/audit.seal.js';
import { createOrgsStore } from './orgs/orgs.store.js';
import { createOrgsService, type OrgRelations } from './orgs/orgs.service.js';
import { createHealthService } from './health/health.service.js';
import { createAgentsStore } from './agents/agents.store.js';
import { createAgentsService, type AgentPorts } from './agents/agents.service.js';
import { createProjectsStore } from './projects/projects.store.js';
import { createProjectsService } from './projects/projects.service.js';
import { createGitHubClient } from './github/github.client.js';
import { createIdempotencyStore } from './idempotency/idempotency.store.js';
import { createWebhooksStore } from './webhooks/webhooks.store.js';
import { createWebhooksService, type MemoryPort } from './webhooks/webhooks.service.js';
import { createOrgSecretsStore } from './webhooks/org-secrets.store.js';
import { createOrgWebhooksService } from './webhooks/org-webhooks.service.js';
import { createSecretBox, type ResealReport } from './secrets/secret-box.js';
import { createSchedulerStore } from './scheduler/scheduler.store.js';
import { createSchedulerService } from './scheduler/scheduler.service.js';
import { nodeCronDriver } from './scheduler/scheduler.driver.js';
import { builtinTasks } from './scheduler/scheduler.builtins.js';
import type { SchedulerPorts } from './scheduler/scheduler.ports.js';
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
import { currentCredential } from './http/credential-context.js';
import { createOutboundGuard } from './outbound/outbound-guard.js';
import { createSqliteUnit } from './db/sqlite-unit.js';
import { createReactor } from './webhooks/reaction-runner.js';
import { createDeploysSqlite } from './deploys/deploys.sqlite.js';
import { createDeployGlue } from './deploys/deploys.glue.js';
import { createDeploysService } from './deploys/deploys.service.js';
import { createApprovalsSqlite } from './approvals/approvals.sqlite.js';
import { createApprovalGlue } from './approvals/approvals.glue.js';
import { createApprovalsService } from './approvals/approvals.service.js';
import { noMetrics, type Metrics } from './metrics/metrics.js';
import { createSqliteStatusRepository } from './status/status.sqlite.js';
import { createStatusService } from './status/status.service.js';
import { AGENT_STATUSES } from './agents/agents.schemas.js';

/**
 * Builds every domain service from the injected deps, in dependency order. Domains talk
 * to each other only through what is wired here.
 */
export function createServices(deps: AppDeps, metrics: Metrics = noMetrics) {
  const { db, clock, config, logger } = deps;
  // Secrets kept in the database (channel settings, org webhook secrets) are sealed with it.
  const box = createSecretBox(config.SECRETS_KEY);
  const github = deps.github ?? createGitHubClient({ baseUrl: config.GITHUB_API_URL, token: config.GITHUB_TOKEN, logger });
  const orgsStore = createOrgsStore(db);
  const sealer = config.AUDIT_HMAC_KEY === undefined ? undefined : createSealer(config.AUDIT_HMAC_KEY);
  const audit = createAuditService({ db, store: createAuditStore(db), clock, orgIds: () => orgsStore.ids(), credential: currentCredential, sealer, metrics });
  const channelsStore = createChannelsStore(db, box);
  const health = createHealthService({ clock, version: deps.version, startedAt: deps.startedAt });
  const outbound = createOutboundGuard(deps.resolve);
  const channels = createChannelsService({ db, store: channelsStore, audit, clock, config, logger, outbound });
  const memory = createMemoryService({
    store: createMemoryStore(db),
    clock,
    embedder: createHashingEmbedder(),
    channelNames: CHANNEL_NAMES,
    retentionDays: config.AUDIT_RETENTION_DAYS,
    projectRepo: (orgId, projectId) => {
      const p = orgId === null ? projects.byId(projectId) : projects.inOrg(orgId, projectId);
      return p?.repo ?? null;
    },
  });

  // Ports that point at a domain built further down resolve lazily, when first called.
  const agentPorts: AgentPorts = {
    project: (orgId, projectId) => {
      const p = projects.inOrg(orgId, projectId);
      return p && { id: p.id, name: p.name, repo: p.repo, defaultBranch: p.defaultBranch };
    },
    memorySummary: (orgId, projectId) => memory.summaryForProject(orgId, projectId),
    connectedChannels: () => channels.connectedNames(),
    adoptProjectAgent: (orgId, projectId, agentId) => projects.adoptAgent(orgId, projectId, agentId),
  };
  const agents = createAgentsService({ db, store: createAgentsStore(db), audit, clock, ports: () => agentPorts });
  const projects = createProjectsService({
    db,
    store: createProjectsStore(db),
    audit,
    agents,
    github,
    clock,
    config,
    logger,
    orgHook: (orgId) => orgWebhooks.hookFor(orgId),
  });

  const relations: OrgRelations = {
    projects: (orgId) =>
      projects.listForOrg(orgId).map((p) => {
        const agent = p.agentId ? agents.byId(p.agentId) : undefined;
        return { id: p.id, name: p.name, repo: p.repo, agentId: p.agentId, agentStatus: agent?.status ?? null, autonomyLevel: agent?.autonomyLevel ?? null, createdAt: p.createdAt };
      }),
    projectCount: (orgId) => projects.count(orgId),
    members: (orgId) => members.list(orgId),
    memberCount: (orgId) => members.count(orgId),
  };
  const orgs = createOrgsService({ db, store: orgsStore, audit, clock, relations: () => relations });

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
    projectExists: (orgId, projectId) => projects.inOrg(orgId, projectId) !== undefined,
    recordMessage: (orgId, projectId) => {
      const agent = projectId ? agents.projectAgent(projectId) : undefined;
      if (agent && agent.orgId === orgId) agents.countStat(agent.id, 'messagesProcessed');
    },
  });

  const memoryPort: MemoryPort = { addDocument: (d) => void memory.addDocument(d) };
  const webhooksStore = createWebhooksStore(db);
  const orgSecretsStore = createOrgSecretsStore(db, box);
  const webhooks = createWebhooksService({
    db,
    store: webhooksStore,
    audit,
    agents,
    projects,
    memory: () => memoryPort,
    clock,
    restrictInstanceUrl: config.API_TOKENS.length > 0,
  });
  // Deploys and approvals are written against async repositories and a unit of work; on
  // this synchronous engine the unit is a SQLite transaction and the glue calls the services above.
  const deploysRepo = createDeploysSqlite(db);
  const deploys = createDeploysService({
    unit: createSqliteUnit(db, deploysRepo),
    repo: deploysRepo,
    glue: createDeployGlue({ projects, agents, audit, carryOut: createReactor({ audit, agents, memory: () => memoryPort }) }),
    clock,
    restrictInstanceUrl: config.API_TOKENS.length > 0 && config.DEPLOY_WEBHOOK_SECRET === undefined,
  });
  const approvalsRepo = createApprovalsSqlite(db);
  const approvals = createApprovalsService({
    unit: createSqliteUnit(db, approvalsRepo),
    repo: approvalsRepo,
    glue: createApprovalGlue({ projects, agents, audit }),
    clock,
  });
  const orgWebhooks = createOrgWebhooksService({ db, store: orgSecretsStore, deliveries: webhooksStore, audit, clock, logger, baseUrl: config.WEBHOOK_BASE_URL });

  /**
   * Start-up pass over every secret at rest: seals plain values when SECRETS_KEY is set and
   * names those that do not open (server.ts refuses to start on any).
   */
  const secretsAtRest = {
    box,
    reseal: (): ResealReport => {
      // The plain text a value replaces is zeroed in the file, not left in free space.
      const secureDelete = db.pragma('secure_delete', { simple: true }) as number;
      db.pragma('secure_delete = ON');
      try {
        const reports = [channelsStore.reseal(), orgSecretsStore.reseal()];
        return { sealed: reports.reduce((n, r) => n + r.sealed, 0), unreadable: reports.flatMap((r) => r.unreadable) };
      } finally {
        db.pragma(`secure_delete = ${secureDelete}`);
      }
    },
  };

  const schedulerPorts: SchedulerPorts = {
    channels: deps.ports?.channels ?? {
      reconnectDisconnected: async () => {
        await channels.reconnectDisconnected();
        const statuses = Object.entries(channels.healthSummary().channels);
        return {
          enabled: statuses.filter(([name, st]) => name !== 'web' && st !== 'disabled').map(([name]) => name),
          disconnected: statuses.filter(([, st]) => st === 'disconnected').map(([name]) => name),
        };
      },
    },
    agents: deps.ports?.agents ?? { countInError: () => agents.inStatus('ERROR').length },
    projects: deps.ports?.projects ?? {
      listForBuildReport: () => projects.all().map((p) => ({ orgId: p.orgId, id: p.id, repo: p.repo, defaultBranch: p.defaultBranch })),
      setLastBuild: (_orgId, projectId, build) => projects.setLastBuild(projectId, build),
    },
    github: deps.ports?.github ?? {
      latestWorkflowRun: async (owner, repo, branch) => {
        const run = await github.latestWorkflowRun(owner, repo, branch);
        return run && { name: run.name, head_branch: run.branch, conclusion: run.conclusion, head_sha: run.sha, html_url: run.url, updated_at: run.at };
      },
    },
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
    metrics,
  });
  const tasks = builtinTasks({ config, db, clock, logger, audit, health, ports: schedulerPorts, purgeConversations: () => memory.purgeConversations() });
  for (const task of tasks) scheduler.register(task);

  const idempotency = createIdempotencyStore(db);
  const status = createStatusService({ repository: createSqliteStatusRepository(db), clock, version: deps.version, startedAt: deps.startedAt, agentStatuses: AGENT_STATUSES, approvalsPending: (scope) => approvals.pendingCount(scope) });

  return { audit, orgs, health, agents, projects, github, webhooks, orgWebhooks, deploys, approvals, secretsAtRest, scheduler, idempotency, channels, memory, identity, members, webMessages, status };
}

export type Services = ReturnType<typeof createServices>;
