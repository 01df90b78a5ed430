import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { agentDetails, auditOf, deliver, linkRepo, REPO, SHA, workflowRun } from '../webhooks/fixtures.js';
import { report } from './fixtures.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(async () => await t.close());

const FAILED = { project: REPO, status: 'failed', sha: SHA, environment: 'production', message: 'migrations failed\nstack…' };
const DETAILS = 'Deploy of acme/api to production failed (abc1234): migrations failed';

/** What the agent wrote for one report: its entries after the deploy entry. */
async function agentEntries(agentId: string) {
  return (await auditOf(t, 'default', { actorId: agentId, order: 'asc' })).map((e) => ({ action: e.action, metadata: e.metadata }));
}

describe('the project agent reacts to a failed deploy as to a failed workflow', () => {
  it.each([
    [0, 'ignored', []],
    [1, 'notified', [{ action: 'notify', metadata: { event: 'deploy', message: DETAILS } }]],
    [
      2,
      'suggested',
      [
        { action: 'notify', metadata: { event: 'deploy', message: DETAILS } },
        { action: 'suggest', metadata: { event: 'deploy', suggestion: expect.stringContaining('Roll production back') } },
      ],
    ],
  ] as const)('at L%i: %s', async (level, outcome, entries) => {
    const { projectId, agentId } = await linkRepo(t, REPO, { level });
    const res = await report(t, FAILED).expect(200);
    expect(res.body.outcomes).toEqual([{ projectId, agentId, outcome, spawnedAgentId: null }]);
    expect(await agentEntries(agentId)).toEqual(entries);
  });

  it.each([3, 4, 5])('at L%i: spawns an incident agent that investigates it, counted in incidentsHandled', async (level) => {
    const { projectId, agentId } = await linkRepo(t, REPO, { level });
    const res = await report(t, FAILED).expect(200);
    const spawnedAgentId = res.body.outcomes[0].spawnedAgentId as string;
    expect(res.body.outcomes).toEqual([{ projectId, agentId, outcome: 'agent_spawned', spawnedAgentId: expect.stringMatching(/^agent-inc-/) }]);
    const spawned = (await t.api().get(`/api/agents/${spawnedAgentId}`).expect(200)).body;
    expect(spawned).toMatchObject({ type: 'incident', projectId, task: `Investigate: ${DETAILS}`, autonomyLevel: level });
    expect((await agentDetails(t, agentId)).stats.incidentsHandled).toBe(1);
    const spawn = (await auditOf(t)).find((e) => e.action === 'agent_spawn');
    expect(spawn).toMatchObject({ actorType: 'agent', actorId: agentId, metadata: { agentId: spawnedAgentId, type: 'incident', event: 'deploy' } });
  });

  it('gives the same outcome, level by level, as a failed workflow run (one table)', async () => {
    for (let level = 0; level <= 5; level++) {
      const repo = `acme/svc-${level}`;
      await linkRepo(t, repo, { level });
      const wf = await deliver(t, 'workflow_run', workflowRun({ conclusion: 'failure', repo })).expect(200);
      const dep = await report(t, { ...FAILED, project: repo }).expect(200);
      expect(dep.body.outcomes[0].outcome).toBe(wf.body.outcomes[0].outcome);
    }
  });
});

describe('other deploy statuses', () => {
  it.each([
    [0, 'ignored'],
    [1, 'notified'],
    [2, 'notified'],
    [5, 'notified'],
  ] as const)('a succeeded deploy at L%i is %s', async (level, outcome) => {
    const { agentId } = await linkRepo(t, REPO, { level });
    const res = await report(t, { project: REPO, status: 'succeeded' }).expect(200);
    expect(res.body.outcomes[0]).toMatchObject({ outcome, spawnedAgentId: null });
    const notes = (await agentEntries(agentId)).filter((e) => e.action === 'notify');
    expect(notes).toEqual(outcome === 'notified' ? [{ action: 'notify', metadata: { event: 'deploy', message: 'Deploy of acme/api to production succeeded' } }] : []);
  });

  it.each(['started', 'rolled_back'])('a %s deploy is recorded at every level, with no notification', async (status) => {
    const { agentId } = await linkRepo(t, REPO, { level: 5 });
    const res = await report(t, { project: REPO, status }).expect(200);
    expect(res.body.outcomes[0].outcome).toBe('recorded');
    expect(await agentEntries(agentId)).toEqual([]);
    expect((await auditOf(t)).filter((e) => e.action === (status === 'started' ? 'deploy' : 'rollback'))).toHaveLength(1);
  });

  it('a SUSPENDED agent does nothing, whatever the status', async () => {
    const { agentId } = await linkRepo(t, REPO, { level: 5, suspend: true });
    for (const status of ['failed', 'succeeded']) {
      const res = await report(t, { project: REPO, status }).expect(200);
      expect(res.body.outcomes[0]).toMatchObject({ agentId, outcome: 'agent_suspended', spawnedAgentId: null });
    }
    expect((await auditOf(t)).filter((e) => e.action === 'agent_spawn' || e.action === 'notify')).toEqual([]);
  });

  it('a project without an agent records the deploy and reacts with nothing', async () => {
    const { projectId, agentId } = await linkRepo(t, REPO, { level: 3 });
    await t.api().delete(`/api/agents/${agentId}`).expect(200);
    const res = await report(t, FAILED).expect(200);
    expect(res.body.outcomes).toEqual([{ projectId, agentId: null, outcome: 'ignored', spawnedAgentId: null }]);
    expect((await auditOf(t)).filter((e) => e.action === 'deploy')).toHaveLength(1);
  });
});
