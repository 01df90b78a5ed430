import type { Db } from '../db/open.js';
import { APPROVAL_ROW, VOTE_ROW, type ApprovalFilter, type ApprovalRow, type ApprovalsRepository, type CastVote, type VoteOutcome } from './approvals.repository.js';
import type { Vote } from './approvals.schemas.js';

type Row = Omit<ApprovalRow, 'votes'>;

/** SQLite statements behind ApprovalsRepository; each resolves as soon as its statements have run. */
export function createApprovalsSqlite(db: Db): ApprovalsRepository {
  const byId = db.prepare<[string], Row>(`SELECT ${APPROVAL_ROW.select()} FROM approvals WHERE id = ?`);
  const votesOf = db.prepare<[string], Vote>(`SELECT ${VOTE_ROW.select()} FROM approval_votes WHERE approval_id = ? ORDER BY seq`);
  const insert = db.prepare(
    `INSERT INTO approvals (id, org_id, action, description, project_id, agent_id, requested_by, quorum, status, created_at, expires_at, decided_at)
     VALUES (@id, @orgId, @action, @description, @projectId, @agentId, @requestedBy, @quorum, @status, @createdAt, @expiresAt, @decidedAt)`,
  );
  // `expired` and `pending` are both stored as pending, told apart by expires_at at @now.
  const list = db.prepare<Record<string, unknown>, Row>(
    `SELECT ${APPROVAL_ROW.select()} FROM approvals
     WHERE (@orgId IS NULL OR org_id = @orgId) AND (@projectId IS NULL OR project_id = @projectId)
       AND (@status IS NULL
         OR (@status = 'pending' AND status = 'pending' AND expires_at > @now)
         OR (@status = 'expired' AND status = 'pending' AND expires_at <= @now)
         OR (@status IN ('approved', 'rejected') AND status = @status))
     ORDER BY seq DESC`,
  );
  const voted = db.prepare<[string, string]>('SELECT 1 FROM approval_votes WHERE approval_id = ? AND voter = ?').pluck();
  const addVote = db.prepare('INSERT INTO approval_votes (approval_id, voter, vote, comment, at) VALUES (?, ?, ?, ?, ?)');
  const approvals = db.prepare<[string]>("SELECT COUNT(*) FROM approval_votes WHERE approval_id = ? AND vote = 'approve'").pluck();
  const decide = db.prepare("UPDATE approvals SET status = ?, decided_at = ? WHERE id = ? AND status = 'pending'");
  const pending = db.prepare<Record<string, unknown>>(
    "SELECT COUNT(*) FROM approvals WHERE (@orgId IS NULL OR org_id = @orgId) AND status = 'pending' AND expires_at > @now",
  ).pluck();

  const withVotes = (r: Row): ApprovalRow => ({ ...r, votes: votesOf.all(r.id) });

  // IMMEDIATE: the write lock is taken before the approval is read, so another process's
  // vote cannot slip in between the checks and the decision.
  const cast = db.transaction((v: CastVote): VoteOutcome => {
    const row = byId.get(v.approvalId);
    if (!row) return { kind: 'missing' };
    if (voted.get(v.approvalId, v.voter) !== undefined) return { kind: 'already_voted' };
    if (row.status !== 'pending' || row.expiresAt <= v.at) return { kind: 'closed' };
    addVote.run(v.approvalId, v.voter, v.vote, v.comment, v.at);
    if (v.vote === 'reject') decide.run('rejected', v.at, v.approvalId);
    else if ((approvals.get(v.approvalId) as number) >= row.quorum) decide.run('approved', v.at, v.approvalId);
    return { kind: 'recorded', approval: withVotes(byId.get(v.approvalId)!) };
  });

  return {
    insert: async (a) => void insert.run(a),
    get: async (id) => {
      const r = byId.get(id);
      return r && withVotes(r);
    },
    list: async (f: ApprovalFilter) =>
      list.all({ orgId: f.orgId, projectId: f.projectId ?? null, status: f.status ?? null, now: f.now }).map(withVotes),
    castVote: async (v) => cast.immediate(v),
    countPending: async (orgId, now) => pending.get({ orgId, now }) as number,
  };
}
