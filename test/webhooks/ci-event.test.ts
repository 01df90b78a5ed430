import { describe, expect, it } from 'vitest';
import { HANDLED_EVENTS, toCIEvent, type HandledEvent } from '../../src/webhooks/ci-event.js';
import { checkRun, pullRequest, push, realExamples, SHA, workflowRun } from './fixtures.js';

const ci = (event: HandledEvent, payload: unknown) => {
  const m = toCIEvent(event, payload);
  if (!m) throw new Error(`${event} payload was not mapped`);
  return m;
};

describe('toCIEvent over every real GitHub example payload', () => {
  it.each(HANDLED_EVENTS.map((e) => [e]))('maps each %s example to a CIEvent of that type and repo', (event) => {
    const payloads = realExamples(event);
    expect(payloads.length).toBeGreaterThan(0);
    for (const p of payloads) {
      const { ciEvent } = ci(event, p);
      expect(ciEvent.type).toBe(event);
      expect(ciEvent.repo).toBe(p.repository.full_name);
      expect(ciEvent.details).not.toBe('');
    }
  });

  it('describes a real completed workflow run with its workflow name, branch and sha7', () => {
    const p = realExamples('workflow_run').find((e) => e.workflow_run.conclusion === 'success')!;
    const { ciEvent, facts } = ci('workflow_run', p);
    const name = p.workflow_run.name || p.workflow.name;
    expect(ciEvent).toEqual({
      type: 'workflow_run',
      repo: 'octo-org/octo-repo',
      branch: 'master',
      status: 'completed',
      conclusion: 'success',
      details: `Workflow '${name}' succeeded on master (${p.workflow_run.head_sha.slice(0, 7)})`,
    });
    expect(facts.build).toMatchObject({ workflow: name, sha: p.workflow_run.head_sha, completed: true });
  });

  it('describes a real opened pull request', () => {
    const p = realExamples('pull_request').find((e) => e.action === 'opened')!;
    expect(ci('pull_request', p).ciEvent.details).toBe("PR #2 'Update the README with new information.' opened by Codertocat");
  });

  it('describes a real push with the head commit author and the first line of its message', () => {
    const p = realExamples('push').find((e) => e.ref === 'refs/heads/master')!;
    expect(ci('push', p).ciEvent).toMatchObject({ branch: 'master', details: 'Push to master by Codertocat: Initial commit' });
  });

  it('describes a real failed check run', () => {
    const p = realExamples('check_run').find((e) => e.check_run.conclusion === 'failure')!;
    expect(ci('check_run', p).ciEvent).toMatchObject({ branch: 'changes', conclusion: 'failure', details: "Check 'Octocoders-linter' failed (ec26c3e)" });
  });
});

describe('the four detail strings of the reference', () => {
  it("Workflow 'CI' failed on main (abc1234)", () => {
    expect(ci('workflow_run', workflowRun()).ciEvent).toEqual({
      type: 'workflow_run',
      repo: 'acme/api',
      branch: 'main',
      status: 'completed',
      conclusion: 'failure',
      details: "Workflow 'CI' failed on main (abc1234)",
    });
  });

  it("PR #42 'feat: add rate limiting' opened by alice", () => {
    expect(ci('pull_request', pullRequest()).ciEvent.details).toBe("PR #42 'feat: add rate limiting' opened by alice");
  });

  it('Push to main by alice: feat: add rate limiting', () => {
    expect(ci('push', push()).ciEvent.details).toBe('Push to main by alice: feat: add rate limiting');
  });

  it("Check 'lint' passed (abc1234)", () => {
    expect(ci('check_run', checkRun()).ciEvent.details).toBe("Check 'lint' passed (abc1234)");
  });
});

describe('workflow_run wording', () => {
  it.each([
    ['success', "Workflow 'CI' succeeded on main (abc1234)"],
    ['failure', "Workflow 'CI' failed on main (abc1234)"],
    ['cancelled', "Workflow 'CI' cancelled on main (abc1234)"],
    ['timed_out', "Workflow 'CI' timed_out on main (abc1234)"],
  ])('a %s run reads %s', (conclusion, details) => {
    expect(ci('workflow_run', workflowRun({ conclusion })).ciEvent.details).toBe(details);
  });

  it('an unfinished run shows its status and carries no build result', () => {
    const { ciEvent, facts } = ci('workflow_run', workflowRun({ conclusion: null, status: 'in_progress' }));
    expect(ciEvent).toMatchObject({ status: 'in_progress', conclusion: null, details: "Workflow 'CI' in_progress on main (abc1234)" });
    expect(facts.build?.completed).toBe(false);
  });

  it('keeps the full sha, the run url and time for lastBuild', () => {
    expect(ci('workflow_run', workflowRun()).facts.build).toEqual({
      workflow: 'CI',
      sha: SHA,
      url: 'https://github.com/acme/api/actions/runs/7',
      at: '2026-05-31T10:00:00Z',
      completed: true,
    });
  });

  it("falls back to the workflow's name when the run's name is empty", () => {
    const p = workflowRun({ name: '' });
    p.workflow.name = 'Deploy';
    expect(ci('workflow_run', p).ciEvent.details).toBe("Workflow 'Deploy' failed on main (abc1234)");
  });
});

describe('pull_request wording', () => {
  it("says merged instead of closed for a merged PR, and reports conclusion 'merged'", () => {
    const { ciEvent, facts } = ci('pull_request', pullRequest({ action: 'closed', merged: true }));
    expect(ciEvent.details).toBe("PR #42 'feat: add rate limiting' merged by alice");
    expect(ciEvent.conclusion).toBe('merged');
    expect(facts).toMatchObject({ action: 'closed', pr: { number: 42, title: 'feat: add rate limiting', merged: true } });
  });

  it('says closed for a PR closed without merge', () => {
    const { ciEvent } = ci('pull_request', pullRequest({ action: 'closed', merged: false }));
    expect(ciEvent.details).toBe("PR #42 'feat: add rate limiting' closed by alice");
    expect(ciEvent.conclusion).toBeNull();
  });

  it('uses the action as the verb for other actions, and the head branch as branch', () => {
    const p = pullRequest({ action: 'synchronize' });
    const { ciEvent } = ci('pull_request', p);
    expect(ciEvent.details).toBe("PR #42 'feat: add rate limiting' synchronize by alice");
    expect(ciEvent.branch).toBe(p.pull_request.head.ref);
  });
});

describe('push wording', () => {
  it("names the head commit author's username first", () => {
    expect(ci('push', push({ username: 'alice', pusher: 'bob' })).ciEvent.details).toBe('Push to main by alice: feat: add rate limiting');
  });

  it("falls back to the pusher's name without a username", () => {
    expect(ci('push', push({ username: null, pusher: 'bob' })).ciEvent.details).toBe('Push to main by bob: feat: add rate limiting');
  });

  it('shows only the first line of a multi-line message and keeps every commit message', () => {
    const { ciEvent, facts } = ci('push', push({ messages: ['fix: one', 'feat: add rate limiting\n\nLong body\nmore'] }));
    expect(ciEvent.details).toBe('Push to main by alice: feat: add rate limiting');
    expect(facts.commits).toEqual(['fix: one', 'feat: add rate limiting\n\nLong body\nmore']);
    expect(facts.action).toBeNull();
  });

  it('takes the branch from refs/heads/… and a tag name from refs/tags/…', () => {
    expect(ci('push', push({ branch: 'feature/x' })).ciEvent.branch).toBe('feature/x');
    const tag = push();
    tag.ref = 'refs/tags/v1.2.0';
    expect(ci('push', tag).ciEvent.branch).toBe('v1.2.0');
  });

  it('describes a push without a head commit (a deleted branch) without a dangling colon', () => {
    const p = realExamples('push').find((e) => e.deleted === true)!;
    expect(ci('push', p).ciEvent.details).toBe('Push to simple-tag by Codertocat');
  });
});

describe('check_run wording', () => {
  it.each([
    ['success', "Check 'lint' passed (abc1234)"],
    ['failure', "Check 'lint' failed (abc1234)"],
    ['neutral', "Check 'lint' neutral (abc1234)"],
  ])('a %s check reads %s', (conclusion, details) => {
    expect(ci('check_run', checkRun({ conclusion })).ciEvent.details).toBe(details);
  });

  it("takes the branch from check_suite.head_branch, else leaves it to the project's default branch", () => {
    expect(ci('check_run', checkRun({ headBranch: 'dev' })).ciEvent.branch).toBe('dev');
    expect(ci('check_run', checkRun({ headBranch: null })).ciEvent.branch).toBeNull();
    const noSuite = checkRun();
    delete noSuite.check_run.check_suite;
    expect(ci('check_run', noSuite).ciEvent.branch).toBeNull();
  });

  it("keeps the check's name, html_url, completed_at and full sha for lastBuild", () => {
    expect(ci('check_run', checkRun()).facts.build).toEqual({
      workflow: 'lint',
      sha: SHA,
      url: 'https://github.com/acme/api/runs/9',
      at: '2026-05-31T11:00:00Z',
      completed: true,
    });
  });
});

describe('payloads missing what the mapping needs', () => {
  const without = (payload: Record<string, any>, path: string[]) => {
    const copy = structuredClone(payload);
    let node = copy;
    for (const key of path.slice(0, -1)) node = node[key];
    delete node[path.at(-1)!];
    return copy;
  };

  it.each<[HandledEvent, () => Record<string, any>, string[]]>([
    ['workflow_run', workflowRun, ['workflow_run']],
    ['workflow_run', workflowRun, ['repository']],
    ['workflow_run', workflowRun, ['workflow_run', 'head_sha']],
    ['workflow_run', workflowRun, ['workflow_run', 'head_branch']],
    ['pull_request', pullRequest, ['pull_request']],
    ['pull_request', pullRequest, ['action']],
    ['pull_request', pullRequest, ['pull_request', 'number']],
    ['pull_request', pullRequest, ['pull_request', 'user']],
    ['push', push, ['ref']],
    ['push', push, ['repository', 'full_name']],
    ['check_run', checkRun, ['check_run']],
    ['check_run', checkRun, ['check_run', 'head_sha']],
    ['check_run', checkRun, ['check_run', 'name']],
  ])('%s without %j → undefined', (event, make, path) => {
    expect(toCIEvent(event, without(make(), path))).toBeUndefined();
  });

  it('a push with neither a username nor a pusher → undefined', () => {
    const p = push({ username: null });
    delete p.pusher;
    expect(toCIEvent('push', p)).toBeUndefined();
  });

  it.each(HANDLED_EVENTS.map((e) => [e]))('%s with a non-object payload → undefined', (event) => {
    for (const p of [null, [], 'x', 42, {}]) expect(toCIEvent(event, p)).toBeUndefined();
  });
});
