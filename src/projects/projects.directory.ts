import type { UnitOfWork } from '../db/engine.js';
import type { ProjectRow, ProjectsRepository } from './projects.repository.js';

/**
 * The few project reads and the one link other domains need before the projects service
 * exists (agents and memory are built first, and projects are built on agents): they go
 * straight to the repository of the current unit of work, so nothing resolves lazily.
 */
export function createProjectDirectory(uow: UnitOfWork) {
  const store = (): ProjectsRepository => uow.current().projects;
  return {
    async inOrg(orgId: string, id: string): Promise<ProjectRow | undefined> {
      const p = await store().get(id);
      return p && p.orgId === orgId ? p : undefined;
    },
    byId: (id: string): Promise<ProjectRow | undefined> => store().get(id),
    /** Makes a project agent created through POST /api/agents the project's agent. */
    async adoptAgent(orgId: string, projectId: string, agentId: string): Promise<void> {
      if ((await store().get(projectId))?.orgId === orgId) await store().setAgent(projectId, agentId);
    },
  };
}

export type ProjectDirectory = ReturnType<typeof createProjectDirectory>;
