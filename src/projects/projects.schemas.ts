import { z } from 'zod';

export const INVALID_REPO_MESSAGE = 'Invalid repository: use owner/name or https://github.com/owner/name';

const Repo = z.string().min(1).max(300);
const Branch = z
  .string()
  .min(1)
  .max(255)
  .regex(/^(?!\/|.*\/\/|.*\/$|.*\.\.|.*@\{)[^\s~^:?*[\\\x00-\x1f\x7f]+$/, { error: 'defaultBranch must be a valid git branch name' });

export const LastBuild = z.object({
  workflow: z.string(),
  branch: z.string(),
  conclusion: z.string().nullable(),
  sha: z.string(),
  url: z.string().nullable(),
  at: z.string(),
});
export type LastBuild = z.infer<typeof LastBuild>;

/** The latest deploy reported for the project (the deploys domain's Deploy, as the project shows it). */
export const LastDeploy = z.object({
  id: z.string(),
  projectId: z.string(),
  orgId: z.string(),
  environment: z.string(),
  status: z.enum(['started', 'succeeded', 'failed', 'rolled_back']),
  sha: z.string().nullable(),
  url: z.string().nullable(),
  message: z.string().nullable(),
  source: z.string().nullable(),
  at: z.string(),
});
export type LastDeploy = z.infer<typeof LastDeploy>;

export const Project = z.object({
  id: z.string(),
  name: z.string(),
  repo: z.string(),
  repoUrl: z.string(),
  defaultBranch: z.string(),
  webhookConfigured: z.boolean(),
  webhookId: z.number().int().nullable(),
  linkedAt: z.string(),
  linkedBy: z.string(),
  agentId: z.string().nullable(),
  agentStatus: z.string().nullable(),
  orgId: z.string(),
  createdAt: z.string(),
  lastBuild: LastBuild.nullable(),
  lastDeploy: LastDeploy.nullable(),
});
export type Project = z.infer<typeof Project>;

export const ProjectQuery = z.object({ agentId: z.string({ error: 'agentId must be a single value' }).min(1).max(100) });

export const LinkBody = z.strictObject({ agentId: z.string().min(1).max(100), repo: Repo });
export type LinkBody = z.infer<typeof LinkBody>;

export const UnlinkBody = z.strictObject({ agentId: z.string().min(1).max(100) });

export const CreateProjectBody = z.strictObject({
  repo: Repo,
  name: z.string().trim().min(1).max(100).optional(),
  defaultBranch: Branch.optional(),
});
export type CreateProjectBody = z.infer<typeof CreateProjectBody>;

export const ProjectIdParams = z.strictObject({ id: z.string() });

export const ProjectLinkState = z.union([
  z.object({ linked: z.literal(true), config: Project }),
  z.object({ linked: z.literal(false) }),
]);
export const LinkResult = z.object({ success: z.literal(true), config: Project });
export const UnlinkResult = z.object({ success: z.literal(true), agentId: z.string(), projectId: z.string() });
export const ProjectList = z.object({ projects: z.array(Project) });
export const CreatedProject = z.object({
  id: z.string(),
  agentId: z.string(),
  repo: z.string(),
  orgId: z.string(),
  webhookUrl: z.string().nullable(),
  webhookConfigured: z.boolean(),
});
export const DeletedProject = z.object({
  success: z.literal(true),
  removed: z.object({ id: z.string(), agentTerminated: z.boolean(), webhookRemoved: z.boolean() }),
});
