import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { agentDetails, auditOf, checkRun, deliver, linkRepo, PR_BRANCH, projectView, pullRequest, push, SHA, workflowRun } from './fixtures.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

interface EventCase {
  event: string;
  payload: () => Record<string, any>;
  action: string | null;
  branch: string;
  status: string | null;
  conclusion: string | null;
  details: string;
  lastBuild: Record<string, unknown> | null;
}

const EVENTS = {
  'failed workflow run': {
    event: 'workflow_run',
    payload: () => workflowRun({ conclusion: 'failure' }),
    action: 'completed',
    branch: 'main',
    status: 'completed',
    conclusion: 'failure',
    details: "Workflow 'CI' failed on main (abc1234)",
    lastBuild: { workflow: 'CI', branch: 'main', conclusion: 'failure', sha: SHA, url: 'https://github.com/acme/api/actions/runs/7', at: '2026-05-31T10:00:00Z' },
  },
  'successful workflow run': {
    event: 'workflow_run',
    payload: () => workflowRun({ conclusion: 'success' }),
    action: 'completed',
    branch: 'main',
    status: 'completed',
    conclusion: 'success',
    details: "Workflow 'CI' succeeded on main (abc1234)",
    lastBuild: { workflow: 'CI', branch: 'main', conclusion: 'success', sha: SHA, url: 'https://github.com/acme/api/actions/runs/7', at: '2026-05-31T10:00:00Z' },
  },
  'check run': {
    event: 'check_run',
    payload: () => checkRun({ conclusion: 'success' }),
    action: 'completed',
    branch: 'main',
    status: 'completed',
    conclusion: 'success',
    details: "Check 'lint' passed (abc1234)",
    lastBuild: { workflow: 'lint', branch: 'main', conclusion: 'success', sha: SHA, url: 'https://github.com/acme/api/runs/9', at: '2026-05-31T11:00:00Z' },
  },
  'opened PR': {
    event: 'pull_request',
    payload: () => pullRequest({ action: 'opened' }),
    action: 'opened',
    branch: PR_BRANCH,
    status: 'open',
    conclusion: null,
    details: "PR #42 'feat: add rate limiting' opened by alice",
    lastBuild: null,
  },
  'merged PR': {
    event: 'pull_request',
    payload: () => pullRequest({ action: 'closed', merged: true }),
    action: 'closed',
    branch: PR_BRANCH,
    status: 'closed',
    conclusion: 'merged',
    details: "PR #42 'feat: add rate limiting' merged by alice",
    lastBuild: null,
  },
  'PR closed without merge': {
    event: 'pull_request',
    payload: () => pullRequest({ action: 'closed', merged: false }),
    action: 'closed',
    branch: PR_BRANCH,
    status: 'closed',
    conclusion: null,
    details: "PR #42 'feat: add rate limiting' closed by alice",
    lastBuild: null,
  },
  push: {
    event: 'push',
    payload: () => push(),
    action: null,
    branch: 'main',
    status: 'pushed',
    conclusion: null,
    details: 'Push to main by alice: feat: add rate limiting',
    lastBuild: null,
  },
} satisfies Record<string, EventCase>;

type EventName = keyof typeof EVENTS;
type Agent = 'L0' | 'L1' | 'L2' | 'L3' | 'L5' | 'SUSPENDED';

interface Expected {
  outcome: string;
  notify?: boolean;
  suggest?: boolean;
  spawn?: 'incident' | 'review';
}

const ignored: Expected = { outcome: 'ignored' };
const recorded: Expected = { outcome: 'recorded' };
const notified: Expected = { outcome: 'notified', notify: true };
const suspended: Expected = { outcome: 'agent_suspended' };
const incident: Expected = { outcome: 'agent_spawned', spawn: 'incident' };
const review: Expected = { outcome: 'agent_spawned', spawn: 'review' };
const contextUpdated: Expected = { outcome: 'context_updated', notify: true };

/** The documented autonomy table; a SUSPENDED agent is the L3 one, suspended. */
const TABLE: Record<EventName, Record<Agent, Expected>> = {
  'failed workflow run': { L0: ignored, L1: notified, L2: { outcome: 'suggested', notify: true, suggest: true }, L3: incident, L5: incident, SUSPENDED: suspended },
  'successful workflow run': { L0: recorded, L1: recorded, L2: recorded, L3: recorded, L5: recorded, SUSPENDED: suspended },
  'check run': { L0: recorded, L1: recorded, L2: recorded, L3: recorded, L5: recorded, SUSPENDED: suspended },
  'opened PR': { L0: ignored, L1: notified, L2: { outcome: 'suggested', suggest: true }, L3: review, L5: review, SUSPENDED: suspended },
  'merged PR': { L0: ignored, L1: notified, L2: notified, L3: notified, L5: notified, SUSPENDED: suspended },
  'PR closed without merge': { L0: recorded, L1: recorded, L2: recorded, L3: recorded, L5: recorded, SUSPENDED: suspended },
  push: { L0: ignored, L1: notified, L2: notified, L3: contextUpdated, L5: contextUpdated, SUSPENDED: suspended },
};

const setupAgent = (agent: Agent) =>
  agent === 'SUSPENDED' ? linkRepo(t, undefined, { level: 3, suspend: true }) : linkRepo(t, undefined, { level: Number(agent.slice(1)) });

const CASES = (Object.keys(TABLE) as EventName[]).flatMap((name) =>
  (Object.keys(TABLE[name]) as Agent[]).map((agent) => [name, agent, TABLE[name][agent]] as const),
);

describe('the autonomy table, through POST /webhooks/github', () => {
  it.each(CASES)('%s, project agent %s → %o', async (name, agent, want) => {
    const ev: EventCase = EVENTS[name];
    const { projectId, agentId } = await setupAgent(agent);
    const before = (await auditOf(t)).length;
    const activityBefore = (await agentDetails(t, agentId)).lastActivity;
    t.deps.clock.advance(60_000);
    const now = t.deps.clock.now().toISOString();

    const res = await deliver(t, ev.event, ev.payload(), { id: 'delivery-1' }).expect(200);
    const spawnedAgentId = want.spawn ? (res.body.outcomes[0].spawnedAgentId as string) : null;
    expect(res.body).toEqual({
      received: true,
      event: ev.event,
      action: ev.action,
      repo: 'acme/api',
      processed: true,
      ciEvent: { type: ev.event, repo: 'acme/api', branch: ev.branch, status: ev.status, conclusion: ev.conclusion, details: ev.details },
      outcomes: [{ projectId, agentId, outcome: want.outcome, spawnedAgentId }],
    });

    // Audit: exactly ci_event plus what the agent did, all in the project's org.
    const added = (await auditOf(t)).slice(before);
    const actions = ['ci_event', ...(want.notify ? ['notify'] : []), ...(want.suggest ? ['suggest'] : []), ...(want.spawn ? ['agent_spawn'] : [])];
    expect(added.map((e) => e.action).sort()).toEqual(actions.sort());
    expect(added.find((e) => e.action === 'ci_event')).toMatchObject({
      actorType: 'system',
      actorId: 'webhook-handler',
      result: 'processed',
      orgId: 'default',
      projectId,
      metadata: { event: ev.event, action: ev.action, repo: 'acme/api', branch: ev.branch, status: ev.status, conclusion: ev.conclusion, deliveryId: 'delivery-1' },
    });
    for (const e of added.filter((x) => x.action !== 'ci_event')) {
      expect(e).toMatchObject({ actorType: 'agent', actorId: agentId, orgId: 'default', projectId });
    }
    expect((await t.api().get('/api/audit/verify').set('x-org-id', 'default').expect(200)).body).toMatchObject({ valid: true, brokenAt: null });

    // The spawned agent and the counters on the project agent.
    const details = await agentDetails(t, agentId);
    expect(details.stats).toMatchObject({
      incidentsHandled: want.spawn === 'incident' ? 1 : 0,
      reviewsPerformed: want.spawn === 'review' ? 1 : 0,
    });
    if (spawnedAgentId) {
      const spawned = await agentDetails(t, spawnedAgentId);
      expect(spawned).toMatchObject({ id: spawnedAgentId, type: want.spawn, projectId, orgId: 'default', status: 'ACTIVE', project: { id: projectId } });
      expect(spawned.task).toContain(ev.details);
      expect(added.find((e) => e.action === 'agent_spawn')!.metadata).toMatchObject({ agentId: spawnedAgentId, type: want.spawn });
    }
    expect((await t.api().get('/api/agents').expect(200)).body).toHaveLength(want.spawn ? 2 : 1);
    // A suspended agent does nothing, so its last activity stays put.
    expect(details.lastActivity).toBe(agent === 'SUSPENDED' ? activityBefore : now);

    // lastBuild moves on build results only, whatever the agent does.
    expect((await projectView(t, projectId)).lastBuild).toEqual(ev.lastBuild);
  });
});

describe('lastBuild and branches', () => {
  it("takes a check run's branch from the project's default branch when the suite has none", async () => {
    const { projectId } = await linkRepo(t, undefined, { defaultBranch: 'develop' });
    const res = await deliver(t, 'check_run', checkRun({ headBranch: null }), { id: 'd-check' }).expect(200);
    expect(res.body.ciEvent.branch).toBe('develop');
    expect((await projectView(t, projectId)).lastBuild).toMatchObject({ workflow: 'lint', branch: 'develop', sha: SHA });
    const [entry] = await auditOf(t, 'default', { action: 'ci_event' });
    expect(entry!.metadata.branch).toBe('develop');
  });

  it("uses now as lastBuild.at when a check run has no completed_at", async () => {
    const { projectId } = await linkRepo(t);
    const p = checkRun();
    delete p.check_run.completed_at;
    await deliver(t, 'check_run', p).expect(200);
    expect((await projectView(t, projectId)).lastBuild.at).toBe(t.deps.clock.now().toISOString());
  });

  it('keeps lastBuild for an unfinished run and records it', async () => {
    const { projectId } = await linkRepo(t);
    await deliver(t, 'workflow_run', workflowRun({ conclusion: 'success' })).expect(200);
    const res = await deliver(t, 'workflow_run', workflowRun({ conclusion: null })).expect(200);
    expect(res.body.outcomes[0].outcome).toBe('recorded');
    expect((await projectView(t, projectId)).lastBuild).toMatchObject({ conclusion: 'success' });
  });

  it('replaces lastBuild with the latest result', async () => {
    const { projectId } = await linkRepo(t);
    await deliver(t, 'workflow_run', workflowRun({ conclusion: 'success' })).expect(200);
    await deliver(t, 'check_run', checkRun({ conclusion: 'failure', name: 'test' })).expect(200);
    expect((await projectView(t, projectId)).lastBuild).toMatchObject({ workflow: 'test', conclusion: 'failure' });
  });
});

describe('a project without a project agent', () => {
  it('records the event and its build result, with agentId null', async () => {
    const { projectId, agentId } = await linkRepo(t);
    await t.api().delete(`/api/agents/${agentId}`).expect(200);
    const failed = await deliver(t, 'workflow_run', workflowRun()).expect(200);
    expect(failed.body.outcomes).toEqual([{ projectId, agentId: null, outcome: 'ignored', spawnedAgentId: null }]);
    const check = await deliver(t, 'check_run', checkRun()).expect(200);
    expect(check.body.outcomes).toEqual([{ projectId, agentId: null, outcome: 'recorded', spawnedAgentId: null }]);
    expect((await projectView(t, projectId)).lastBuild).toMatchObject({ workflow: 'lint' });
    expect((await auditOf(t, 'default', { action: 'notify' })).length).toBe(0);
  });
});
