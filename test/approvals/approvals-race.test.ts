import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { auditOf } from '../webhooks/fixtures.js';
import type { VoteValue } from '../../src/approvals/approvals.schemas.js';

let t: TestApp;
afterEach(async () => await t.close());

const create = async (quorum: number) =>
  (await t.api().post('/api/approvals').set('x-actor-id', 'ci').send({ action: 'deploy', description: 'race', quorum }).expect(201)).body as { id: string };
const voteReq = (id: string, voter: string, vote: VoteValue) => t.api().post(`/api/approvals/${id}/vote`).set('x-actor-id', voter).send({ vote });

describe('two voters at once', () => {
  it('quorum reached by concurrent approvals: exactly one decision, no lost vote, the late vote refused', async () => {
    t = await makeTestApp();
    const a = await create(2);
    const res = await Promise.all(['alice', 'bob', 'carol'].map((v) => voteReq(a.id, v, 'approve')));
    const ok = res.filter((r) => r.status === 200);
    expect(ok).toHaveLength(2);
    expect(ok.map((r) => r.body.status).sort()).toEqual(['approved', 'pending']);
    expect(res.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(['APPROVAL_CLOSED']);
    const final = (await t.api().get(`/api/approvals/${a.id}`).expect(200)).body;
    expect(final.status).toBe('approved');
    expect(final.votes).toHaveLength(2);
    const audited = (await auditOf(t)).filter((e) => e.action === 'approve');
    expect(audited).toHaveLength(2);
    expect(audited.filter((e) => e.metadata.status === 'approved')).toHaveLength(1);
  });

  it('an approval and a rejection at once: the first decides, the other is refused', async () => {
    t = await makeTestApp();
    const a = await create(1);
    const [yes, no] = await Promise.all([voteReq(a.id, 'alice', 'approve'), voteReq(a.id, 'bob', 'reject')]);
    expect([yes.status, no.status].sort()).toEqual([200, 409]);
    const winner = yes.status === 200 ? yes : no;
    const final = (await t.api().get(`/api/approvals/${a.id}`).expect(200)).body;
    expect(final.status).toBe(winner.body.status);
    expect(final.votes).toHaveLength(1);
    expect((await auditOf(t)).filter((e) => e.action === 'approve' || e.action === 'deny')).toHaveLength(1);
  });

  it('the same voter twice at once: one vote kept, the other ALREADY_VOTED', async () => {
    t = await makeTestApp();
    const a = await create(3);
    const res = await Promise.all([voteReq(a.id, 'alice', 'approve'), voteReq(a.id, 'alice', 'approve')]);
    expect(res.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(res.find((r) => r.status === 409)!.body.code).toBe('ALREADY_VOTED');
    expect((await t.api().get(`/api/approvals/${a.id}`).expect(200)).body.votes).toHaveLength(1);
  });

  it('service calls that both pass the early checks are still decided once, inside the vote transaction', async () => {
    t = await makeTestApp();
    const a = await create(1);
    const scope = { orgId: null };
    const settled = await Promise.allSettled([
      t.services.approvals.vote(scope, 'alice', a.id, { vote: 'approve' }),
      t.services.approvals.vote(scope, 'bob', a.id, { vote: 'reject' }),
      t.services.approvals.vote(scope, 'alice', a.id, { vote: 'reject' }),
    ]);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value.status : (s.reason as { code: string }).code))).toEqual([
      'approved',
      'APPROVAL_CLOSED',
      'ALREADY_VOTED',
    ]);
  });
});

describe('castVote against a model (property)', () => {
  const Vote = fc.record({ voter: fc.constantFrom('a', 'b', 'c', 'd'), vote: fc.constantFrom<VoteValue>('approve', 'reject'), minute: fc.integer({ min: 0, max: 20 }) });

  // The engine under test's repository; each vote in a unit of work, as the service casts it.
  it('decides as the rules say for any quorum, expiry and sequence of votes', async () => {
    t = await makeTestApp();
    const { uow } = t.deps.engine;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 15 }), fc.array(Vote, { maxLength: 8 }), async (quorum, expiresIn, votes) => {
        const id = `apr-p${++run}`;
        const repo = t.deps.engine.repos.approvals;
        const base = Date.parse('2026-01-01T00:00:00.000Z');
        const at = (m: number) => new Date(base + m * 60_000).toISOString();
        await repo.insert({ id, orgId: 'default', action: 'x', description: 'x', projectId: null, agentId: null, requestedBy: 'r', quorum, status: 'pending', createdAt: at(0), expiresAt: at(expiresIn), decidedAt: null });
        let status: 'pending' | 'approved' | 'rejected' = 'pending';
        const voted = new Set<string>();
        let approvals = 0;
        for (const v of [...votes].sort((x, y) => x.minute - y.minute)) {
          const out = await uow.run((tx) => tx.approvals.castVote({ approvalId: id, voter: v.voter, vote: v.vote, comment: null, at: at(v.minute) }));
          const expected = voted.has(v.voter) ? 'already_voted' : status !== 'pending' || v.minute >= expiresIn ? 'closed' : 'recorded';
          expect(out.kind).toBe(expected);
          if (expected !== 'recorded') continue;
          voted.add(v.voter);
          if (v.vote === 'reject') status = 'rejected';
          else if (++approvals >= quorum) status = 'approved';
          expect(out.kind === 'recorded' && out.approval.status).toBe(status);
        }
        const row = (await repo.get(id))!;
        expect(row.status).toBe(status);
        expect(row.votes.map((v) => v.voter)).toEqual([...voted]);
        expect(row.decidedAt !== null).toBe(status !== 'pending');
      }),
      { numRuns: 150 },
    );
  });
});
