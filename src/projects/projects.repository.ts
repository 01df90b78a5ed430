import type { LastBuild } from './projects.schemas.js';

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
  createdAt: string;
}

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
  /** A new project has no lastBuild. */
  insert(p: ProjectRow & { repoKey: string }): Promise<void>;
  setAgent(id: string, agentId: string | null): Promise<void>;
  relink(id: string, agentId: string | null, at: string, by: string): Promise<void>;
  /** `hookId` null: no webhook (webhookConfigured false). */
  setWebhook(id: string, hookId: number | null): Promise<void>;
  setLastBuild(id: string, build: LastBuild): Promise<void>;
  remove(id: string): Promise<boolean>;
}
