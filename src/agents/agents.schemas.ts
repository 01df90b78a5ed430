import { z } from 'zod';

export const AGENT_TYPES = ['project', 'task', 'review', 'deploy', 'incident', 'coordinator'] as const;
export type AgentType = (typeof AGENT_TYPES)[number];

export const AGENT_STATUSES = ['ACTIVE', 'IDLE', 'SUSPENDED', 'ERROR'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const AGENT_ACTIONS = ['suspend', 'resume', 'restart', 'set_autonomy'] as const;
export type AgentAction = (typeof AGENT_ACTIONS)[number];

/** The agent-types table, in its documented order. */
export const AGENT_TYPE_TABLE = [
  { type: 'project', lifecycle: 'persistent', description: 'Monitors repo, CI/CD, channels' },
  { type: 'task', lifecycle: 'ephemeral', description: 'Executes coding tasks' },
  { type: 'review', lifecycle: 'ephemeral', description: 'PR analysis and risk classification' },
  { type: 'deploy', lifecycle: 'ephemeral', description: 'Deploy orchestration with approvals' },
  { type: 'incident', lifecycle: 'ephemeral', description: 'CI failure investigation' },
  { type: 'coordinator', lifecycle: 'persistent', description: 'Cross-project orchestration' },
] as const satisfies ReadonlyArray<{ type: AgentType; lifecycle: string; description: string }>;

export const SHORT_TYPE: Record<AgentType, string> = {
  project: 'proj',
  task: 'task',
  review: 'rev',
  deploy: 'deploy',
  incident: 'inc',
  coordinator: 'coord',
};

/** Task-like agents carry `task`; the persistent ones do not. */
export const isTaskLike = (t: AgentType): boolean => t === 'task' || t === 'review' || t === 'deploy' || t === 'incident';

export const AutonomyLevel = z.number().int().min(0).max(5);
export const AUTONOMY_MESSAGE = 'Autonomy level must be between 0 and 5';
export const INVALID_TYPE_MESSAGE = `Invalid agent type. Must be one of: ${AGENT_TYPES.join(', ')}`;
export const INVALID_ACTION_MESSAGE = `Invalid action. Must be one of: ${AGENT_ACTIONS.join(', ')}`;

export const ProjectIdString = z.string().min(1).max(100);

const upper = (v: unknown) => (typeof v === 'string' ? v.toUpperCase() : v);
const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);

export const AgentListQuery = z.object({
  type: z.preprocess(lower, z.enum(AGENT_TYPES, { error: `type must be one of ${AGENT_TYPES.join(', ')}` })).optional(),
  status: z.preprocess(upper, z.enum(AGENT_STATUSES, { error: `status must be one of ${AGENT_STATUSES.join(', ')}` })).optional(),
  projectId: z.string({ error: 'projectId must be a single value' }).min(1).max(100).optional(),
});
export type AgentListQuery = z.infer<typeof AgentListQuery>;

export const AgentIdParams = z.strictObject({ id: z.string() });

export const CreateAgentBody = z.strictObject({
  name: z.string().trim().min(1, { error: 'name must not be empty' }).max(100, { error: 'name must be at most 100 characters' }),
  type: z.enum(AGENT_TYPES),
  projectId: ProjectIdString.optional(),
  autonomyLevel: AutonomyLevel.optional(),
});
export type CreateAgentBody = z.infer<typeof CreateAgentBody>;

export const AgentActionBody = z.strictObject({
  action: z.enum(AGENT_ACTIONS),
  params: z.record(z.string(), z.unknown()).optional(),
});
export type AgentActionBody = z.infer<typeof AgentActionBody>;

export const SetAutonomyParams = z.object({ level: AutonomyLevel });

export const Agent = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(AGENT_TYPES),
  status: z.enum(AGENT_STATUSES),
  autonomyLevel: z.number().int().min(0).max(5),
  projectId: z.string().nullable(),
  orgId: z.string(),
  uptime: z.number().int().min(0),
  lastActivity: z.string(),
  createdAt: z.string(),
  channels: z.array(z.string()).optional(),
  task: z.string().nullable().optional(),
});
export type Agent = z.infer<typeof Agent>;

export const AgentStats = z.object({
  messagesProcessed: z.number().int(),
  tasksCompleted: z.number().int(),
  reviewsPerformed: z.number().int(),
  deploysTriggered: z.number().int(),
  incidentsHandled: z.number().int(),
});
export type AgentStats = z.infer<typeof AgentStats>;
export type StatName = keyof AgentStats;

export const AgentProject = z.object({ id: z.string(), name: z.string(), repo: z.string(), defaultBranch: z.string() });
export type AgentProject = z.infer<typeof AgentProject>;

export const AgentDetails = Agent.extend({
  project: AgentProject.nullable(),
  stats: AgentStats,
  memory: z.object({ embeddings: z.number().int(), storageMB: z.number() }),
});

export const AgentTypeInfo = z.object({ type: z.enum(AGENT_TYPES), lifecycle: z.enum(['persistent', 'ephemeral']), description: z.string() });

export const StatusActionResult = z.object({
  id: z.string(),
  action: z.enum(AGENT_ACTIONS),
  previousStatus: z.enum(AGENT_STATUSES),
  currentStatus: z.enum(AGENT_STATUSES),
  timestamp: z.string(),
  uptime: z.literal(0).optional(),
});
export const AutonomyActionResult = z.object({
  id: z.string(),
  action: z.literal('set_autonomy'),
  previousLevel: z.number().int(),
  currentLevel: z.number().int(),
  timestamp: z.string(),
});

export const DeletedAgent = z.object({ id: z.string(), deleted: z.literal(true), message: z.string() });
