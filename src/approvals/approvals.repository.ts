import { rowShape } from '../db/row-shape.js';
import type { ApprovalStatus, StoredStatus, Vote, VoteValue } from './approvals.schemas.js';

export interface ApprovalRow {
  id: string;
  orgId: string;
  action: string;
  description: string;
  projectId: string | null;
  agentId: string | null;
  requestedBy: string;
  quorum: number;
  status: StoredStatus;
  createdAt: string;
  expiresAt: string;
  decidedAt: string | null;
  /** In the order they were cast. */
  votes: Vote[];
}

/** How an `approvals` row reads as an ApprovalRow without its votes, on either engine. */
export const APPROVAL_ROW = rowShape<Omit<ApprovalRow, 'votes'>>({
  id: 'id',
  orgId: 'org_id',
  action: 'action',
  description: 'description',
  projectId: 'project_id',
  agentId: 'agent_id',
  requestedBy: 'requested_by',
  quorum: 'quorum',
  status: 'status',
  createdAt: 'created_at',
  expiresAt: 'expires_at',
  decidedAt: 'decided_at',
});

/** How an `approval_votes` row reads as a Vote, on either engine. */
export const VOTE_ROW = rowShape<Vote>({ voter: 'voter', vote: 'vote', comment: 'comment', at: 'at' });

/** `orgId` null lists every org. `status` is read at `now` (`expired`: still pending at expiresAt). */
export interface ApprovalFilter {
  orgId: string | null;
  status?: ApprovalStatus;
  projectId?: string;
  now: string;
}

export interface CastVote {
  approvalId: string;
  voter: string;
  vote: VoteValue;
  comment: string | null;
  at: string;
}

/** What an atomic vote did: recorded (and maybe decided), or what stopped it. */
export type VoteOutcome = { kind: 'recorded'; approval: ApprovalRow } | { kind: 'missing' } | { kind: 'already_voted' } | { kind: 'closed' };

/** Approvals and their votes. Lists are newest first (append order). */
export interface ApprovalsRepository {
  insert(a: Omit<ApprovalRow, 'votes'>): Promise<void>;
  get(id: string): Promise<ApprovalRow | undefined>;
  list(f: ApprovalFilter): Promise<ApprovalRow[]>;
  /**
   * Records one vote and decides, in one transaction, so two voters at once can neither
   * lose a vote nor decide twice: refused when this voter already voted, then when the
   * approval is no longer pending or `at` is at or past its expiry; a rejection decides
   * `rejected`; the approval that reaches the quorum decides `approved`.
   */
  castVote(v: CastVote): Promise<VoteOutcome>;
  /** Pending and not expired at `now`. */
  countPending(orgId: string | null, now: string): Promise<number>;
}
