import type { Clock } from '../clock.js';
import type { UnitOfWork } from '../db/engine.js';
import { AppError, badRequest, notFound } from '../http/errors.js';
import { visibleIn, writeOrg, type OrgScope } from '../http/org-scope.js';
import { newId } from '../ids.js';
import type { ApprovalGlue } from './approvals.glue.js';
import type { ApprovalRow, ApprovalsRepository } from './approvals.repository.js';
import type { Approval, ApprovalQuery, ApprovalStatus, CreateApprovalBody, VoteBody } from './approvals.schemas.js';

/** Live events (the events domain); a no-op until it is wired. The one hook point for approval events. */
export type ApprovalEmitPort = (type: 'approval.requested' | 'approval.updated', orgId: string, data: Approval) => void;

export interface ApprovalsServiceDeps {
  uow: UnitOfWork;
  glue: ApprovalGlue;
  clock: Clock;
  emit?: ApprovalEmitPort;
}

const MINUTE_MS = 60_000;
const approvalNotFound = () => notFound('Approval');
const closed = () => new AppError('APPROVAL_CLOSED', 'This approval has already been decided or has expired');
const alreadyVoted = () => new AppError('ALREADY_VOTED', 'You have already voted on this approval');

/** Expiry is read, never written: a pending approval is `expired` from the instant its expiresAt is reached. */
export const statusAt = (a: Pick<ApprovalRow, 'status' | 'expiresAt'>, now: string): ApprovalStatus =>
  a.status === 'pending' && a.expiresAt <= now ? 'expired' : a.status;

export function createApprovalsService({ uow, glue, clock, emit = () => {} }: ApprovalsServiceDeps) {
  const now = () => clock.now().toISOString();
  const repo = (): ApprovalsRepository => uow.current().approvals;
  const view = (a: ApprovalRow, at = now()): Approval => ({ ...a, status: statusAt(a, at) });

  async function find(scope: OrgScope, id: string): Promise<ApprovalRow> {
    const a = await repo().get(id);
    if (!a || !visibleIn(scope, a.orgId)) throw approvalNotFound();
    return a;
  }

  return {
    async create(scope: OrgScope, actor: string, body: CreateApprovalBody): Promise<Approval> {
      const orgId = writeOrg(scope);
      if (body.projectId !== undefined && !(await glue.projectInOrg(orgId, body.projectId))) throw notFound('Project');
      if (body.agentId !== undefined && !(await glue.agentInOrg(orgId, body.agentId))) throw notFound('Agent');
      const created = clock.now();
      const row: ApprovalRow = {
        id: newId('apr', 10),
        orgId,
        action: body.action,
        description: body.description,
        projectId: body.projectId ?? null,
        agentId: body.agentId ?? null,
        requestedBy: actor,
        quorum: body.quorum ?? 1,
        status: 'pending',
        createdAt: created.toISOString(),
        expiresAt: new Date(created.getTime() + (body.expiresInMinutes ?? 60) * MINUTE_MS).toISOString(),
        decidedAt: null,
        votes: [],
      };
      await uow.run(async ({ approvals: tx }) => {
        const { votes: _none, ...stored } = row;
        await tx.insert(stored);
        await glue.audit({
          orgId,
          actor,
          action: 'approval_request',
          projectId: row.projectId,
          metadata: { approvalId: row.id, action: row.action, quorum: row.quorum, expiresAt: row.expiresAt },
        });
      });
      const approval = view(row);
      emit('approval.requested', orgId, approval);
      return approval;
    },

    async get(scope: OrgScope, id: string): Promise<Approval> {
      return view(await find(scope, id));
    },

    async list(scope: OrgScope, q: ApprovalQuery): Promise<Approval[]> {
      const at = now();
      const rows = await repo().list({ orgId: scope.orgId, status: q.status, projectId: q.projectId, now: at });
      return rows.map((a) => view(a, at));
    },

    /**
     * Order of checks: voter named (400 MISSING_ACTOR), approval visible (404), not the
     * requester (403), first vote of this voter (409 ALREADY_VOTED), still open (409
     * APPROVAL_CLOSED). The last two are checked again inside the vote's transaction.
     */
    async vote(scope: OrgScope, voter: string | undefined, id: string, body: VoteBody): Promise<Approval> {
      if (voter === undefined) throw badRequest('MISSING_ACTOR', 'Voting needs the x-actor-id header: it names the voter');
      const a = await find(scope, id);
      if (a.requestedBy === voter) throw new AppError('SELF_APPROVAL', 'The requester of an approval cannot vote on it');
      if (a.votes.some((v) => v.voter === voter)) throw alreadyVoted();
      // An early refusal that spares a write transaction: castVote refuses a closed approval
      // again, after the same ALREADY_VOTED check, and nothing is written before it does.
      // Stryker disable next-line ConditionalExpression: castVote gives the same 409 in the same order
      if (statusAt(a, now()) !== 'pending') throw closed();
      const at = now();
      // Recording the vote and deciding are one unit of work. On SQLite the unit is serialized
      // (BEGIN IMMEDIATE on the one connection), so no other vote interleaves; the PostgreSQL
      // repository's castVote must lock the approval row (SELECT ... FOR UPDATE) before it reads.
      const decided = await uow.run(async ({ approvals: tx }) => {
        const outcome = await tx.castVote({ approvalId: a.id, voter, vote: body.vote, comment: body.comment ?? null, at });
        if (outcome.kind === 'missing') throw approvalNotFound();
        if (outcome.kind === 'already_voted') throw alreadyVoted();
        if (outcome.kind === 'closed') throw closed();
        const after = view(outcome.approval, at);
        await glue.audit({
          orgId: a.orgId,
          actor: voter,
          action: body.vote === 'approve' ? 'approve' : 'deny',
          projectId: a.projectId,
          metadata: { approvalId: a.id, status: after.status },
        });
        return after;
      });
      emit('approval.updated', decided.orgId, decided);
      return decided;
    },

    /** Pending approvals in the caller's scope (for status counts). */
    pendingCount: (scope: OrgScope): Promise<number> => repo().countPending(scope.orgId, now()),
  };
}

export type ApprovalsService = ReturnType<typeof createApprovalsService>;
