import { z } from 'zod';
import { LastDeploy } from '../projects/projects.schemas.js';

export const DEPLOY_STATUSES = ['started', 'succeeded', 'failed', 'rolled_back'] as const;
export type DeployStatus = (typeof DEPLOY_STATUSES)[number];

/** Optional text fields: absent and `null` both read as "not given". */
const text = (max: number) => z.string().min(1).max(max).nullable().optional();

/** A CI job's deploy report. `source` becomes the audit entry's actorId, so it obeys x-actor-id's rule. */
export const DeployBody = z.strictObject({
  project: z.string().trim().min(1).max(300),
  status: z.enum(DEPLOY_STATUSES, { error: `status must be one of ${DEPLOY_STATUSES.join(', ')}` }),
  environment: z.string().trim().min(1).max(100).regex(/^[\x21-\x7e]+$/, { error: 'environment must be printable characters without spaces' }).optional(),
  sha: z.string().min(1).max(100).regex(/^[0-9A-Za-z._/-]+$/, { error: 'sha must be a commit id or tag' }).nullable().optional(),
  url: z.url({ protocol: /^https?$/, error: 'url must be an http(s) URL' }).max(2000).nullable().optional(),
  message: text(2000),
  source: z.string().min(1).max(128).regex(/^[\x20-\x7e]*[\x21-\x7e][\x20-\x7e]*$/, { error: 'source must be 1-128 printable characters' }).nullable().optional(),
});
export type DeployBody = z.infer<typeof DeployBody>;

/** The same shape a project shows as its `lastDeploy`: one definition, owned by projects. */
export const Deploy = LastDeploy;
export type Deploy = z.infer<typeof Deploy>;

const limit = z
  .string({ error: 'limit must be a single value' })
  .regex(/^\d+$/, { error: 'limit must be an integer from 1 to 100' })
  .transform(Number)
  .pipe(z.number().int().min(1, { error: 'limit must be an integer from 1 to 100' }).max(100, { error: 'limit must be an integer from 1 to 100' }));

export const DeployQuery = z.object({
  projectId: z.string({ error: 'projectId must be a single value' }).min(1).max(100).optional(),
  environment: z.string({ error: 'environment must be a single value' }).min(1).max(100).optional(),
  status: z.enum(DEPLOY_STATUSES, { error: `status must be one of ${DEPLOY_STATUSES.join(', ')}` }).optional(),
  limit: limit.optional(),
});
export type DeployQuery = z.infer<typeof DeployQuery>;

const Outcome = z.object({
  projectId: z.string(),
  agentId: z.string().nullable(),
  outcome: z.enum(['ignored', 'notified', 'suggested', 'agent_spawned', 'context_updated', 'agent_suspended', 'recorded']),
  spawnedAgentId: z.string().nullable(),
});

export const DeployReportResult = z.union([
  z.object({ received: z.literal(true), processed: z.literal(true), projectId: z.string(), deploy: Deploy, outcomes: z.array(Outcome) }),
  z.object({ received: z.literal(true), processed: z.literal(false), duplicate: z.literal(true), reason: z.string() }),
]);
export type DeployReportResult = z.infer<typeof DeployReportResult>;
