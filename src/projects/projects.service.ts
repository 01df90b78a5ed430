import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { UnitOfWork } from '../db/engine.js';
import { AppError, badRequest, notFound } from '../http/errors.js';
import { visibleIn, writeOrg, type OrgScope } from '../http/org-scope.js';
import { insertWithFreshId, newId } from '../ids.js';
import type { Logger } from '../logger.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AgentsService } from '../agents/agents.service.js';
import type { GitHubClient } from '../github/github.client.js';
import { INVALID_REPO_MESSAGE, type CreateProjectBody, type LastBuild, type LastDeploy, type LinkBody, type Project } from './projects.schemas.js';
import type { ProjectRow, ProjectsRepository } from './projects.repository.js';
import type { ProjectDirectory } from './projects.directory.js';
import { parseRepo, repoKey, repoUrl, type RepoRef } from './repo-ref.js';
import { noEmit, type EmitPort } from '../events/events.types.js';

export const WEBHOOK_EVENTS = ['push', 'pull_request', 'workflow_run', 'check_run'];

export interface ProjectsServiceDeps {
  uow: UnitOfWork;
  audit: AuditService;
  agents: AgentsService;
  /** Built before the agents service, which reads projects through it. */
  directory: ProjectDirectory;
  github: GitHubClient;
  clock: Clock;
  config: Config;
  logger: Logger;
  /** The org's own webhook URL and secret, when the org has a secret (the webhooks domain). */
  orgHook?: (orgId: string) => Promise<{ url: string; secret: string } | undefined>;
  /** Live events, sent once the change commits. */
  emit?: EmitPort;
}

export function createProjectsService(deps: ProjectsServiceDeps) {
  const { uow, audit, agents, directory, github, clock, config, logger, orgHook } = deps;
  const emit = deps.emit ?? noEmit;
  const store = (): ProjectsRepository => uow.current().projects;
  const now = () => clock.now().toISOString();

  /**
   * Where a repo webhook created for a project of this org points: the org's own URL and
   * secret once it has one (its deliveries then reach only this org), else the instance URL.
   * Null without a public base URL.
   */
  async function hookTarget(orgId: string): Promise<{ url: string; secret: string | undefined } | null> {
    if (!config.WEBHOOK_BASE_URL) return null;
    const own = await orgHook?.(orgId);
    return own ?? { url: `${config.WEBHOOK_BASE_URL}/webhooks/github`, secret: config.GITHUB_WEBHOOK_SECRET };
  }

  const { view, changed } = directory;

  const requireRepo = (input: string): RepoRef => parseRepo(input) ?? (() => { throw badRequest('INVALID_REPO', INVALID_REPO_MESSAGE); })();

  async function findAgent(scope: OrgScope, agentId: string) {
    const a = await agents.byId(agentId);
    if (!a || !visibleIn(scope, a.orgId)) throw notFound('Agent');
    return a;
  }

  /** With a token: the canonical name and default branch from GitHub (REPO_NOT_FOUND / GITHUB_UNAVAILABLE). */
  async function lookUp(ref: RepoRef, fallbackBranch: string): Promise<{ repo: string; defaultBranch: string }> {
    if (!github.configured) return { repo: `${ref.owner}/${ref.name}`, defaultBranch: fallbackBranch };
    const info = await github.getRepo(ref.owner, ref.name);
    return { repo: info.fullName || `${ref.owner}/${ref.name}`, defaultBranch: info.defaultBranch || fallbackBranch };
  }

  /** Creates the repo webhook when a token and a public URL are set; a refusal is not fatal. */
  async function createHook(repo: string, target: Awaited<ReturnType<typeof hookTarget>>): Promise<number | null> {
    if (!github.configured || !target) return null;
    const [owner, name] = repo.split('/') as [string, string];
    try {
      const { id } = await github.createHook(owner, name, { url: target.url, secret: target.secret, events: WEBHOOK_EVENTS });
      return id;
    } catch (err) {
      logger.warn({ repo, code: err instanceof AppError ? err.code : undefined }, 'GitHub refused to create the repo webhook');
      return null;
    }
  }

  /** Best effort: a hook GitHub will not delete is logged, never fatal. */
  async function removeHook(repo: string, hookId: number | null): Promise<boolean> {
    if (hookId === null || !github.configured) return false;
    const [owner, name] = repo.split('/') as [string, string];
    try {
      await github.deleteHook(owner, name, hookId);
      return true;
    } catch (err) {
      logger.warn({ repo, hookId, code: err instanceof AppError ? err.code : undefined }, 'could not delete the repo webhook');
      return false;
    }
  }

  /** A one-statement change of a project, then its event (sent once the change commits: see emit). */
  const touching = async (id: string, write: () => Promise<void>): Promise<void> => {
    await write();
    await changed('project.updated', id);
  };

  const insertProject = async (orgId: string, actor: string, repo: string, name: string, defaultBranch: string, hookId: number | null): Promise<ProjectRow> => {
    const at = now();
    const fields: Omit<ProjectRow, 'id'> = {
      orgId,
      name,
      repo,
      defaultBranch,
      webhookConfigured: hookId !== null,
      webhookId: hookId,
      linkedAt: at,
      linkedBy: actor,
      agentId: null,
      lastBuild: null,
      lastDeploy: null,
      createdAt: at,
    };
    const key = repoKey(repo);
    return insertWithFreshId(() => ({ id: newId('proj'), ...fields }), (row) => store().insert({ ...row, repoKey: key }));
  };

  const assertNoProject = async (orgId: string, repo: string) => {
    if (await store().byRepo(orgId, repoKey(repo))) throw new AppError('PROJECT_EXISTS', `Project for repository '${repo}' already exists`);
  };

  const createTx = (orgId: string, actor: string, repo: string, name: string, branch: string, hookId: number | null) =>
    uow.run(async () => {
    await assertNoProject(orgId, repo);
    const p = await insertProject(orgId, actor, repo, name, branch, hookId);
    const agent = await agents.createProjectAgent(orgId, p.id, `${name} agent`);
    await store().setAgent(p.id, agent.id);
    await changed('project.created', p.id);
    await audit.append({
      orgId,
      actorType: 'user',
      actorId: actor,
      action: 'project_create',
      projectId: p.id,
      metadata: { projectId: p.id, repo, agentId: agent.id, webhookConfigured: hookId !== null },
    });
    return { ...p, agentId: agent.id };
  });

  /** The project a link reuses, or the reason it cannot (the documented rules). */
  async function reusable(orgId: string, key: string, agentType: string): Promise<ProjectRow | undefined> {
    const existing = await store().byRepo(orgId, key);
    if (!existing) return undefined;
    const owner = await agents.projectAgent(existing.id);
    if (agentType === 'project' && owner) {
      throw new AppError('PROJECT_EXISTS', `Project for repository '${existing.repo}' already has a project agent`);
    }
    return existing;
  }

  const linkTx = (orgId: string, actor: string, agentId: string, found: { repo: string; defaultBranch: string }, hookId: number | null) =>
    uow.run(async () => {
      const agent = await agents.inOrg(orgId, agentId);
      if (!agent) throw notFound('Agent');
      if (agent.projectId) throw new AppError('ALREADY_LINKED', 'Agent already has a linked project. Unlink first.');
      let project = await reusable(orgId, repoKey(found.repo), agent.type);
      const takesOwnership = !project || agent.type === 'project' || project.agentId === null;
      const created = !project;
      if (!project) project = await insertProject(orgId, actor, found.repo, found.repo.split('/')[1]!, found.defaultBranch, hookId);
      else if (hookId !== null) await store().setWebhook(project.id, hookId);
      if (takesOwnership) await store().relink(project.id, agent.id, now(), actor);
      await agents.setProject(agent.id, project.id);
      await changed(created ? 'project.created' : 'project.updated', project.id);
      await audit.append({ orgId, actorType: 'user', actorId: actor, action: 'link', projectId: project.id, metadata: { agentId, projectId: project.id, repo: project.repo } });
      return (await store().get(project.id))!;
    });

  const unlinkTx = (orgId: string, actor: string, agentId: string) =>
    uow.run(async () => {
    const agent = await agents.inOrg(orgId, agentId);
    if (!agent) throw notFound('Agent');
    if (!agent.projectId) throw new AppError('NOT_LINKED', 'Agent has no linked project');
    const project = await store().get(agent.projectId);
    await agents.setProject(agent.id, null);
    if (project?.agentId === agent.id) {
      await store().setAgent(project.id, null);
      await changed('project.updated', project.id);
    }
    await audit.append({ orgId, actorType: 'user', actorId: actor, action: 'unlink', projectId: agent.projectId, metadata: { agentId, projectId: agent.projectId, repo: project?.repo ?? null } });
    return { success: true as const, agentId, projectId: agent.projectId };
  });

  const deleteTx = (p: ProjectRow, actor: string, webhookRemoved: boolean) =>
    uow.run(async () => {
    const by = { actorType: 'user' as const, actorId: actor };
    const terminated = await agents.terminateForProject(p.orgId, p.id, by);
    await store().remove(p.id);
    emit('project.deleted', p.orgId, { id: p.id });
    await audit.append({ orgId: p.orgId, ...by, action: 'project_delete', projectId: p.id, metadata: { projectId: p.id, repo: p.repo, agentsTerminated: terminated, webhookRemoved } });
    return terminated;
  });

  return {
    view,

    async state(scope: OrgScope, agentId: string) {
      const agent = await findAgent(scope, agentId);
      const project = agent.projectId ? await store().get(agent.projectId) : undefined;
      return project ? { linked: true as const, config: await view(project) } : { linked: false as const };
    },

    async link(scope: OrgScope, actor: string, body: LinkBody) {
      const ref = requireRepo(body.repo);
      if (!github.configured) throw badRequest('MISSING_CONFIG', 'GITHUB_TOKEN is not configured');
      const agent = await findAgent(scope, body.agentId);
      if (agent.projectId) throw new AppError('ALREADY_LINKED', 'Agent already has a linked project. Unlink first.');
      const existing = await reusable(agent.orgId, repoKey(ref), agent.type);
      const found = await lookUp(ref, existing?.defaultBranch ?? 'main');
      const hookId = existing?.webhookConfigured ? null : await createHook(found.repo, await hookTarget(agent.orgId));
      try {
        const linked = await linkTx(agent.orgId, actor, agent.id, existing ? { ...found, repo: existing.repo } : found, hookId);
        return { success: true as const, config: await view(linked) };
      } catch (err) {
        if (hookId !== null) await removeHook(found.repo, hookId);
        throw err;
      }
    },

    async unlink(scope: OrgScope, actor: string, agentId: string) {
      const agent = await findAgent(scope, agentId);
      return unlinkTx(agent.orgId, actor, agent.id);
    },

    async list(scope: OrgScope) {
      const rows = await store().list(scope.orgId);
      return { projects: await Promise.all(rows.map(view)) };
    },

    async create(scope: OrgScope, actor: string, body: CreateProjectBody) {
      const ref = requireRepo(body.repo);
      const orgId = writeOrg(scope);
      await assertNoProject(orgId, `${ref.owner}/${ref.name}`);
      const found = await lookUp(ref, body.defaultBranch ?? 'main');
      const target = await hookTarget(orgId);
      const hookId = await createHook(found.repo, target);
      try {
        const p = await createTx(orgId, actor, found.repo, body.name ?? found.repo.split('/')[1]!, found.defaultBranch, hookId);
        return { id: p.id, agentId: p.agentId, repo: p.repo, orgId, webhookUrl: target?.url ?? null, webhookConfigured: p.webhookConfigured };
      } catch (err) {
        if (hookId !== null) await removeHook(found.repo, hookId);
        throw err;
      }
    },

    async remove(scope: OrgScope, actor: string, id: string) {
      const p = await store().get(id);
      if (!p || !visibleIn(scope, p.orgId)) throw notFound('Project');
      const webhookRemoved = await removeHook(p.repo, p.webhookId);
      // The project may have gone while GitHub answered; answer as if it never existed.
      const current = await store().get(id);
      if (!current) throw notFound('Project');
      const terminated = await deleteTx(current, actor, webhookRemoved);
      return { success: true as const, removed: { id, agentTerminated: terminated.length > 0, webhookRemoved } };
    },

    // --- the API other domains call ---
    inOrg: directory.inOrg,
    byId: directory.byId,
    /** Every project linked to a repo, in any org (webhook routing; case-insensitive). */
    linkedTo: (repo: string): Promise<ProjectRow[]> => store().linkedTo(repoKey(repo)),
    all: (): Promise<ProjectRow[]> => store().all(),
    listForOrg: (orgId: string): Promise<ProjectRow[]> => store().list(orgId),
    count: (orgId: string): Promise<number> => store().count(orgId),
    setLastBuild: (id: string, build: LastBuild): Promise<void> => touching(id, () => store().setLastBuild(id, build)),
    setLastDeploy: (id: string, deploy: LastDeploy): Promise<void> => touching(id, () => store().setLastDeploy(id, deploy)),
  };
}

export type ProjectsService = ReturnType<typeof createProjectsService>;
