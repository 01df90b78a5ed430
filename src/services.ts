import type { AppDeps } from './deps.js';
import { createAuditService } from './audit/audit.service.js';
import { createSealer } from './audit/audit.seal.js';
import { createOrgsService, type OrgRelations } from './orgs/orgs.service.js';
import { createOrgDirectory } from './orgs/orgs.directory.js';
import { createHealthService } from './health/health.service.js';
import { createAgentsService, type AgentPorts } from './agents/agents.service.js';
import { createProjectsService } from './projects/projects.service.js';
import { createProjectDirectory } from './projects/projects.directory.js';
import { createGitHubClient } from './github/github.client.js';
import { createWebhooksService } from './webhooks/webhooks.service.js';
import { createOrgSecretsStore } from './webhooks/org-secrets.store.js';
import { createOrgWebhooksService } from './webhooks/org-webhooks.service.js';
import { createSecretBox, type ResealReport } from './secrets/secret-box.js';
import { createSchedulerService } from './scheduler/scheduler.service.js';
import { nodeCronDriver } from './scheduler/scheduler.driver.js';
import { builtinTasks } from './scheduler/scheduler.builtins.js';
import type { SchedulerPorts } from './scheduler/scheduler.ports.js';
import { createChannelSettingsStore } from './channels/channels.settings-store.js';
import { createChannelsService } from './channels/channels.service.js';
import { CHANNEL_NAMES } from './channels/channels.catalog.js';
import { createWebMessagesService } from './channels/web-messages.service.js';
import { createMemoryService } from './memory/memory.service.js';
import { createHashingEmbedder } from './memory/embedder.js';
import { createIdentityService } from './identity/identity.service.js';
import { createMembersService } from './identity/members.service.js';
import { currentCredential } from './http/credential-context.js';
import { createOutboundGuard } from './outbound/outbound-guard.js';
import { createReactor } from './webhooks/reaction-runner.js';
import { createDeployGlue } from './deploys/deploys.glue.js';
import { createDeploysService } from './deploys/deploys.service.js';
import { createApprovalGlue } from './approvals/approvals.glue.js';
import { createApprovalsService } from './approvals/approvals.service.js';
import { noMetrics, type Metrics } from './metrics/metrics.js';
import { createStatusService } from './status/status.service.js';
import { AGENT_STATUSES } from './agents/agents.schemas.js';
import { auditPublisher, createLiveEvents } from './events/live-events.js';

/**
 * Builds every domain service from the injected deps, in dependency order: each domain gets
 * the engine's unit of work (its repositories come from there) and the services or ports it
 * calls, all built before it: nothing refers to a service declared further down.
 */
export async function createServices(deps: AppDeps, metrics: Metrics = noMetrics) {
  const { engine, clock, config, logger } = deps;
  const { uow } = engine;
  // Secrets kept in the database (channel settings, org webhook secrets) are sealed with it.
  const box = createSecretBox(config.SECRETS_KEY);
  const github = deps.github ?? createGitHubClient({ baseUrl: config.GITHUB_API_URL, token: config.GITHUB_TOKEN, logger });
  const sealer = config.AUDIT_HMAC_KEY === undefined ? undefined : createSealer(config.AUDIT_HMAC_KEY);
  const audit = createAuditService({
    uow,
    snapshot: engine.auditSnapshot,
    clock,
    orgIds: () => uow.current().orgs.ids(),
    credential: currentCredential,
    sealer,
    metrics,
    appended: auditPublisher(engine),
  });
  // Live events: every service below emits through `emit`, sent once its change commits.
  const live = createLiveEvents({ engine, clock, logger, config, metrics, tail: audit });
  const { emit } = live;
  const health = createHealthService({ clock, version: deps.version, startedAt: deps.startedAt, engine: engine.kind });
  const outbound = createOutboundGuard(deps.resolve);
  const channelSettings = createChannelSettingsStore(() => uow.current().channels, box);
  const channels = await createChannelsService({ uow, store: channelSettings, audit, clock, config, logger, outbound, emit });
  const orgSecrets = createOrgSecretsStore(() => uow.current().orgSecrets, box);
  const orgWebhooks = createOrgWebhooksService({ uow, store: orgSecrets, audit, clock, logger, baseUrl: config.WEBHOOK_BASE_URL });
  const identity = createIdentityService({ uow, audit, clock });

  // Agents and memory read projects (and agents link themselves to one) through the
  // projects repository: the projects service is built on agents, so it comes after them.
  const projectDirectory = createProjectDirectory(uow, emit);
  const memory = createMemoryService({
    uow,
    vectors: engine.vectors,
    backend: engine.kind,
    clock,
    embedder: createHashingEmbedder(),
    channelNames: CHANNEL_NAMES,
    retentionDays: config.AUDIT_RETENTION_DAYS,
    projectRepo: async (orgId, projectId) => {
      const p = orgId === null ? await projectDirectory.byId(projectId) : await projectDirectory.inOrg(orgId, projectId);
      return p?.repo ?? null;
    },
  });
  const agentPorts: AgentPorts = {
    project: async (orgId, projectId) => {
      const p = await projectDirectory.inOrg(orgId, projectId);
      return p && { id: p.id, name: p.name, repo: p.repo, defaultBranch: p.defaultBranch };
    },
    memorySummary: (orgId, projectId) => memory.summaryForProject(orgId, projectId),
    connectedChannels: () => channels.connectedNames(),
    adoptProjectAgent: (orgId, projectId, agentId) => projectDirectory.adoptAgent(orgId, projectId, agentId),
  };
  const agents = createAgentsService({ uow, audit, clock, ports: agentPorts, emit });
  const projects = createProjectsService({
    uow,
    audit,
    agents,
    directory: projectDirectory,
    github,
    clock,
    config,
    logger,
    orgHook: (orgId) => orgWebhooks.hookFor(orgId),
    emit,
  });

  // Members check the org through the directory; orgs count members and projects.
  const orgDirectory = createOrgDirectory(uow);
  const members = createMembersService({ uow, audit, clock, assertOrgVisible: (scope, orgId) => orgDirectory.assertVisible(scope, orgId) });
  const relations: OrgRelations = {
    projects: async (orgId) =>
      Promise.all(
        (await projects.listForOrg(orgId)).map(async (p) => {
          const agent = p.agentId ? await agents.byId(p.agentId) : undefined;
          return { id: p.id, name: p.name, repo: p.repo, agentId: p.agentId, agentStatus: agent?.status ?? null, autonomyLevel: agent?.autonomyLevel ?? null, createdAt: p.createdAt };
        }),
      ),
    projectCount: (orgId) => projects.count(orgId),
    members: (orgId) => members.list(orgId),
    memberCount: (orgId) => members.count(orgId),
  };
  const orgs = createOrgsService({ uow, audit, clock, directory: orgDirectory, relations });

  const webMessages = createWebMessagesService({
    uow,
    audit,
    clock,
    resolveChannelUser: (u) => identity.resolveChannelUser(u),
    recordConversation: (c) => memory.recordConversation(c),
    addDocument: (d) => memory.addDocument(d),
    projectExists: async (orgId, projectId) => (await projects.inOrg(orgId, projectId)) !== undefined,
    recordMessage: async (orgId, projectId) => {
      const agent = projectId ? await agents.projectAgent(projectId) : undefined;
      if (agent && agent.orgId === orgId) await agents.countStat(agent.id, 'messagesProcessed');
    },
  });

  const webhooks = createWebhooksService({
    uow,
    audit,
    agents,
    projects,
    memory,
    clock,
    restrictInstanceUrl: config.API_TOKENS.length > 0,
    emit,
  });
  // Deploys and approvals: a report or a vote is one unit of work; the glue calls the
  // services above, whose own units join it.
  const deploys = createDeploysService({
    uow,
    glue: createDeployGlue({ projects, agents, audit, carryOut: createReactor({ audit, agents, memory }) }),
    clock,
    restrictInstanceUrl: config.API_TOKENS.length > 0 && config.DEPLOY_WEBHOOK_SECRET === undefined,
    emit,
  });
  const approvals = createApprovalsService({ uow, glue: createApprovalGlue({ projects, agents, audit }), clock, emit });

  /**
   * Start-up pass over every secret at rest: seals plain values when SECRETS_KEY is set and
   * names those that do not open (server.ts refuses to start on any).
   */
  const secretsAtRest = {
    box,
    reseal: (): Promise<ResealReport> =>
      engine.scrubbing(async () => {
        const reports = [await channelSettings.reseal(), await orgSecrets.reseal()];
        return { sealed: reports.reduce((n, r) => n + r.sealed, 0), unreadable: reports.flatMap((r) => r.unreadable) };
      }),
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
    agents: deps.ports?.agents ?? { countInError: async () => (await agents.inStatus('ERROR')).length },
    projects: deps.ports?.projects ?? {
      listForBuildReport: async () => (await projects.all()).map((p) => ({ orgId: p.orgId, id: p.id, repo: p.repo, defaultBranch: p.defaultBranch })),
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
    uow,
    audit,
    clock,
    logger,
    health,
    enabled: config.SCHEDULER_ENABLED,
    driver: nodeCronDriver(logger),
    metrics,
    locks: engine.taskLocks,
    schedules: config.SCHEDULER_SCHEDULES,
    onRun: (r) => emit('scheduler.run', null, r),
  });
  const tasks = builtinTasks({ config, engine, clock, logger, audit, health, ports: schedulerPorts, purgeConversations: () => memory.purgeConversations() });
  for (const task of tasks) await scheduler.register(task);

  const idempotency = () => uow.current().idempotency;
  const status = createStatusService({
    repository: () => uow.current().status,
    engine: engine.kind,
    clock,
    version: deps.version,
    startedAt: deps.startedAt,
    agentStatuses: AGENT_STATUSES,
    approvalsPending: (scope) => approvals.pendingCount(scope),
  });

  return { events: live.service, audit, orgs, health, agents, projects, github, webhooks, orgWebhooks, deploys, approvals, secretsAtRest, scheduler, idempotency, channels, memory, identity, members, webMessages, status };
}

export type Services = Awaited<ReturnType<typeof createServices>>;
