import { afterEach, describe, expect, it } from 'vitest';
import { toCIEvent, type HandledEvent } from '../../src/webhooks/ci-event.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { checkRun, deliver, linkRepo, pullRequest, push, realExamples, workflowRun } from './fixtures.js';

const ci = (event: HandledEvent, payload: unknown) => {
  const m = toCIEvent(event, payload);
  if (!m) throw new Error(`${event} payload was not mapped`);
  return m;
};

describe('fallback wording when GitHub leaves fields out', () => {
  it("a workflow run with neither conclusion nor status reads 'updated'", () => {
    const p = workflowRun({ conclusion: null });
    p.workflow_run.status = null;
    expect(ci('workflow_run', p).ciEvent).toMatchObject({ status: null, conclusion: null, details: "Workflow 'CI' updated on main (abc1234)" });
  });

  it("a check run with neither conclusion nor status reads 'updated'", () => {
    const p = checkRun({ conclusion: null });
    p.check_run.status = null;
    expect(ci('check_run', p).ciEvent).toMatchObject({ status: null, conclusion: null, details: "Check 'lint' updated (abc1234)" });
  });

  it('a workflow run without a name, and no workflow object to take one from, has an empty name', () => {
    const p = workflowRun({ name: '' });
    delete p.workflow;
    const { ciEvent, facts } = ci('workflow_run', p);
    expect(ciEvent.details).toBe("Workflow '' failed on main (abc1234)");
    expect(facts.build?.workflow).toBe('');
  });
});

describe('push refs and commit messages', () => {
  it('strips refs/heads/ and refs/tags/ only at the start of the ref', () => {
    const p = push();
    p.ref = 'refs/tags/v2.0.0-rc.1';
    expect(ci('push', p).ciEvent).toMatchObject({ branch: 'v2.0.0-rc.1', details: 'Push to v2.0.0-rc.1 by alice: feat: add rate limiting' });
    p.ref = 'refs/heads/release/refs/tags/x';
    expect(ci('push', p).ciEvent.branch).toBe('release/refs/tags/x');
    p.ref = 'refs/notes/refs/heads/x';
    expect(ci('push', p).ciEvent.branch).toBe('refs/notes/refs/heads/x');
  });

  it('takes the message of the last commit when the push has no head commit', () => {
    const p = push({ messages: ['one', 'two', 'three\nbody'], username: null });
    p.head_commit = null;
    const { ciEvent, facts } = ci('push', p);
    expect(ciEvent.details).toBe('Push to main by alice-pusher: three');
    expect(facts.commits).toEqual(['one', 'two', 'three\nbody']);
  });

  it('keeps the head commit message as the only commit when the payload lists none', () => {
    const p = push({ messages: ['feat: add rate limiting\n\nbody'] });
    delete p.commits;
    expect(ci('push', p).facts.commits).toEqual(['feat: add rate limiting\n\nbody']);
  });

  it('keeps no commit message for a deleted branch', () => {
    const p = realExamples('push').find((e) => e.deleted === true)!;
    expect(ci('push', p).facts.commits).toEqual([]);
  });
});

describe('a pull_request event on a PR that is already merged', () => {
  it("says the action, not 'merged', unless the action is closed", () => {
    const { ciEvent, facts } = ci('pull_request', pullRequest({ action: 'labeled', merged: true }));
    expect(ciEvent).toMatchObject({ conclusion: 'merged', details: "PR #42 'feat: add rate limiting' labeled by alice" });
    expect(facts).toMatchObject({ action: 'labeled', pr: { merged: true } });
  });

  describe('through POST /webhooks/github', () => {
    let t: TestApp;
    afterEach(() => t.close());

    it('is recorded, not notified, even by an agent at level 3', async () => {
      t = await makeTestApp();
      const { projectId, agentId } = await linkRepo(t, 'acme/api', { level: 3 });
      const res = await deliver(t, 'pull_request', pullRequest({ action: 'labeled', merged: true })).expect(200);
      expect(res.body).toMatchObject({ processed: true, action: 'labeled', outcomes: [{ projectId, agentId, outcome: 'recorded', spawnedAgentId: null }] });
      const merged = await deliver(t, 'pull_request', pullRequest({ action: 'closed', merged: true })).expect(200);
      expect(merged.body.outcomes[0].outcome).toBe('notified');
    });
  });
});
