import { z } from 'zod';

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];
/** What is stored: expiry is never written, it is read from `expiresAt` and the clock. */
export type StoredStatus = Exclude<ApprovalStatus, 'expired'>;

export const VOTES = ['approve', 'reject'] as const;
export type VoteValue = (typeof VOTES)[number];

export const Vote = z.object({ voter: z.string(), vote: z.enum(VOTES), comment: z.string().nullable(), at: z.string() });
export type Vote = z.infer<typeof Vote>;

export const Approval = z.object({
  id: z.string(),
  orgId: z.string(),
  action: z.string(),
  description: z.string(),
  projectId: z.string().nullable(),
  agentId: z.string().nullable(),
  requestedBy: z.string(),
  quorum: z.number().int(),
  status: z.enum(APPROVAL_STATUSES),
  votes: z.array(Vote),
  createdAt: z.string(),
  expiresAt: z.string(),
  decidedAt: z.string().nullable(),
});
export type Approval = z.infer<typeof Approval>;

export const CreateApprovalBody = z.strictObject({
  action: z.string().trim().min(1, { error: 'action is required' }).max(100),
  description: z.string().trim().min(1, { error: 'description is required' }).max(2000),
  projectId: z.string().min(1).max(100).optional(),
  agentId: z.string().min(1).max(100).optional(),
  quorum: z.number().int().min(1, { error: 'quorum must be an integer from 1 to 10' }).max(10, { error: 'quorum must be an integer from 1 to 10' }).optional(),
  expiresInMinutes: z
    .number()
    .int()
    .min(1, { error: 'expiresInMinutes must be an integer from 1 to 10080' })
    .max(10_080, { error: 'expiresInMinutes must be an integer from 1 to 10080' })
    .optional(),
});
export type CreateApprovalBody = z.infer<typeof CreateApprovalBody>;

export const VoteBody = z.strictObject({
  vote: z.enum(VOTES, { error: 'vote must be approve or reject' }),
  comment: z.string().max(1000).nullable().optional(),
});
export type VoteBody = z.infer<typeof VoteBody>;

export const ApprovalQuery = z.object({
  status: z.enum(APPROVAL_STATUSES, { error: `status must be one of ${APPROVAL_STATUSES.join(', ')}` }).optional(),
  projectId: z.string({ error: 'projectId must be a single value' }).min(1).max(100).optional(),
});
export type ApprovalQuery = z.infer<typeof ApprovalQuery>;

export const ApprovalIdParams = z.strictObject({ id: z.string() });
