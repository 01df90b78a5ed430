import { exec, one, rows, scalar, stmt, type Queryable } from '../db/postgres/sql.js';
import { APPROVAL_ROW, VOTE_ROW, type ApprovalFilter, type ApprovalRow, type ApprovalsRepository, type CastVote, type VoteOutcome } from './approvals.repository.js';
import type { Vote } from './approvals.schemas.js';

const COLUMNS = APPROVAL_ROW.select();

type Row = Omit<ApprovalRow, 'votes'>;
type VoteRow = Vote & { approvalId: string };

const S = {
  byId: stmt('apr:byId', `SELECT ${COLUMNS} FROM approvals WHERE id = $1`),
  // The vote's unit reads the approval under a row lock: a second vote on it waits here until
  // the first has committed, then sees its vote and decision.
  lockById: stmt('apr:lockById', `SELECT ${COLUMNS} FROM approvals WHERE id = $1 FOR UPDATE`),
  votesOf: stmt('apr:votesOf', `SELECT approval_id AS "approvalId", ${VOTE_ROW.select()} FROM approval_votes WHERE approval_id = ANY($1::text[]) ORDER BY seq`),
  insert: stmt(
    'apr:insert',
    `INSERT INTO approvals (id, org_id, action, description, project_id, agent_id, requested_by, quorum, status, created_at, expires_at, decided_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
  ),
  // `expired` and `pending` are both stored as pending, told apart by expires_at at $4.
  list: stmt(
    'apr:list',
    `SELECT ${COLUMNS} FROM approvals
     WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text IS NULL OR project_id = $2)
       AND ($3::text IS NULL
         OR ($3 = 'pending' AND status = 'pending' AND expires_at > $4)
         OR ($3 = 'expired' AND status = 'pending' AND expires_at <= $4)
         OR ($3 IN ('approved', 'rejected') AND status = $3))
     ORDER BY seq DESC`,
  ),
  voted: stmt('apr:voted', 'SELECT 1 FROM approval_votes WHERE approval_id = $1 AND voter = $2'),
  addVote: stmt('apr:addVote', 'INSERT INTO approval_votes (approval_id, voter, vote, comment, at) VALUES ($1, $2, $3, $4, $5)'),
  approvals: stmt('apr:approvals', "SELECT COUNT(*) FROM approval_votes WHERE approval_id = $1 AND vote = 'approve'"),
  decide: stmt('apr:decide', "UPDATE approvals SET status = $1, decided_at = $2 WHERE id = $3 AND status = 'pending'"),
  pending: stmt('apr:pending', "SELECT COUNT(*) FROM approvals WHERE ($1::text IS NULL OR org_id = $1) AND status = 'pending' AND expires_at > $2"),
};

/**
 * PostgreSQL statements behind ApprovalsRepository. castVote must run inside a unit of work
 * (the service calls it there): its row lock lasts until that unit commits.
 */
export function createApprovalsPg(q: Queryable): ApprovalsRepository {
  async function withVotes(list: Row[]): Promise<ApprovalRow[]> {
    if (list.length === 0) return [];
    const votes = await rows<VoteRow>(q, S.votesOf, [list.map((a) => a.id)]);
    return list.map((a) => ({
      ...a,
      votes: votes.filter((v) => v.approvalId === a.id).map(({ voter, vote, comment, at }) => ({ voter, vote, comment, at })),
    }));
  }
  const get = async (id: string) => {
    const r = await one<Row>(q, S.byId, [id]);
    return r && (await withVotes([r]))[0];
  };

  return {
    insert: async (a) =>
      void (await exec(q, S.insert, [
        a.id, a.orgId, a.action, a.description, a.projectId, a.agentId, a.requestedBy, a.quorum, a.status, a.createdAt, a.expiresAt, a.decidedAt,
      ])),
    get,
    list: async (f: ApprovalFilter) => withVotes(await rows<Row>(q, S.list, [f.orgId, f.projectId ?? null, f.status ?? null, f.now])),
    async castVote(v: CastVote): Promise<VoteOutcome> {
      const row = await one<Row>(q, S.lockById, [v.approvalId]);
      if (!row) return { kind: 'missing' };
      if ((await scalar(q, S.voted, [v.approvalId, v.voter])) !== undefined) return { kind: 'already_voted' };
      if (row.status !== 'pending' || row.expiresAt <= v.at) return { kind: 'closed' };
      await exec(q, S.addVote, [v.approvalId, v.voter, v.vote, v.comment, v.at]);
      if (v.vote === 'reject') await exec(q, S.decide, ['rejected', v.at, v.approvalId]);
      else if (((await scalar<number>(q, S.approvals, [v.approvalId])) ?? 0) >= row.quorum) await exec(q, S.decide, ['approved', v.at, v.approvalId]);
      return { kind: 'recorded', approval: (await get(v.approvalId))! };
    },
    countPending: async (orgId, now) => (await scalar<number>(q, S.pending, [orgId, now])) ?? 0,
  };
}
