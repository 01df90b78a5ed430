import { flag, json, rowShape } from '../db/row-shape.js';
import type { LastBuild, LastDeploy } from './projects.schemas.js';

export interface ProjectRow {
  id: string;
  orgId: string;
  name: string;
  repo: string;
  defaultBranch: string;
  webhookConfigured: boolean;
  webhookId: number | null;
  linkedAt: string;
  linkedBy: string;
  agentId: string | null;
  /** Stored as JSON, parsed at the repository boundary. */
  lastBuild: LastBuild | null;
  /** The latest deploy report, stored as JSON like lastBuild. */
  lastDeploy: LastDeploy | null;
  createdAt: string;
}

/** How a `projects` row reads as a ProjectRow, on either engine. */
export const PROJECT_ROW = rowShape<ProjectRow>({
  id: 'id',
  orgId: 'org_id',
  name: 'name',
  repo: 'repo',
  defaultBranch: 'default_branch',
  webhookConfigured: ['webhook_configured', flag],
  webhookId: 'webhook_id',
  linkedAt: 'linked_at',
  linkedBy: 'linked_by',
  agentId: 'agent_id',
  lastBuild: ['last_build', json<LastBuild>()],
  lastDeploy: ['last_deploy', json<LastDeploy>()],
  createdAt: 'created_at',
});

/** Lists are in creation order, ties broken by insertion order. `repoKey` is the lower-cased repo. */
export interface ProjectsRepository {
  get(id: string): Promise<ProjectRow | undefined>;
  byRepo(orgId: string, repoKey: string): Promise<ProjectRow | undefined>;
  /** Every org's projects linked to the repo. */
  linkedTo(repoKey: string): Promise<ProjectRow[]>;
  /** `orgId` null: every org. */
  list(orgId: string | null): Promise<ProjectRow[]>;
  all(): Promise<ProjectRow[]>;
  count(orgId: string): Promise<number>;
  /** A new project has no lastBuild and no lastDeploy. */
  /** False, writing nothing, when the id is taken (see insertWithFreshId). */
  insert(p: ProjectRow & { repoKey: string }): Promise<boolean>;
  setAgent(id: string, agentId: string | null): Promise<void>;
  relink(id: string, agentId: string | null, at: string, by: string): Promise<void>;
  /** `hookId` null: no webhook (webhookConfigured false). */
  setWebhook(id: string, hookId: number | null): Promise<void>;
  setLastBuild(id: string, build: LastBuild): Promise<void>;
  setLastDeploy(id: string, deploy: LastDeploy): Promise<void>;
  remove(id: string): Promise<boolean>;
}
