import type { UnitOfWork } from '../db/engine.js';
import { noEmit, type EmitPort } from '../events/events.types.js';
import type { Project } from './projects.schemas.js';
import type { ProjectRow, ProjectsRepository } from './projects.repository.js';
import { repoUrl } from './repo-ref.js';

/**
 * The few project reads and the one link other domains need before the projects service
 * exists (agents and memory are built first, and projects are built on agents): they go
 * straight to the repositories of the current unit of work, so nothing resolves lazily.
 */
export function createProjectDirectory(uow: UnitOfWork, emit: EmitPort = noEmit) {
  const store = (): ProjectsRepository => uow.current().projects;

  /** A project as GET /api/projects lists it (its agent's status read in the same unit). */
  async function view(p: ProjectRow): Promise<Project> {
    const agent = p.agentId ? await uow.current().agents.get(p.agentId) : undefined;
    return {
      id: p.id,
      name: p.name,
      repo: p.repo,
      repoUrl: repoUrl(p.repo),
      defaultBranch: p.defaultBranch,
      webhookConfigured: p.webhookConfigured,
      webhookId: p.webhookId,
      linkedAt: p.linkedAt,
      linkedBy: p.linkedBy,
      agentId: p.agentId,
      agentStatus: agent?.status ?? null,
      orgId: p.orgId,
      createdAt: p.createdAt,
      lastBuild: p.lastBuild,
      lastDeploy: p.lastDeploy,
    };
  }

  /** project.created / project.updated with the project as listed, read inside the change's unit (sent once it commits). */
  async function changed(type: 'project.created' | 'project.updated', id: string): Promise<void> {
    const p = await store().get(id);
    if (p) emit(type, p.orgId, await view(p));
  }

  return {
    view,
    changed,
    async inOrg(orgId: string, id: string): Promise<ProjectRow | undefined> {
      const p = await store().get(id);
      return p && p.orgId === orgId ? p : undefined;
    },
    byId: (id: string): Promise<ProjectRow | undefined> => store().get(id),
    /** Makes a project agent created through POST /api/agents the project's agent. */
    async adoptAgent(orgId: string, projectId: string, agentId: string): Promise<void> {
      if ((await store().get(projectId))?.orgId !== orgId) return;
      await store().setAgent(projectId, agentId);
      await changed('project.updated', projectId);
    },
  };
}

export type ProjectDirectory = ReturnType<typeof createProjectDirectory>;
