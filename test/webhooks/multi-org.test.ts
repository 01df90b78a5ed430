import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { agentDetails, auditOf, deliver, linkRepo, projectView, workflowRun } from './fixtures.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

const createOrg = async (name: string): Promise<string> => (await t.api().post('/api/orgs').send({ name }).expect(201)).body.id as string;

describe('POST /webhooks/github for a repo linked in two orgs', () => {
  it('acts in both orgs, each by its own agent, and each org sees only its own entries', async () => {
    const acme = await createOrg('Acme');
    const globex = await createOrg('Globex');
    const a = await linkRepo(t, 'shared/repo', { org: acme, level: 1 });
    const g = await linkRepo(t, 'Shared/Repo', { org: globex, level: 3 });
    const before = { acme: (await auditOf(t, acme)).length, globex: (await auditOf(t, globex)).length };

    const res = await deliver(t, 'workflow_run', workflowRun({ repo: 'shared/repo' }), { id: 'd-orgs' }).expect(200);
    expect(res.body.processed).toBe(true);
    expect(res.body.outcomes).toHaveLength(2);
    const spawnedId = res.body.outcomes.find((o: { projectId: string }) => o.projectId === g.projectId).spawnedAgentId as string;
    expect(res.body.outcomes).toEqual(
      expect.arrayContaining([
        { projectId: a.projectId, agentId: a.agentId, outcome: 'notified', spawnedAgentId: null },
        { projectId: g.projectId, agentId: g.agentId, outcome: 'agent_spawned', spawnedAgentId: spawnedId },
      ]),
    );

    const acmeAdded = (await auditOf(t, acme)).slice(before.acme);
    expect(acmeAdded.map((e) => e.action).sort()).toEqual(['ci_event', 'notify']);
    expect(acmeAdded.every((e) => e.orgId === acme && e.projectId === a.projectId)).toBe(true);
    expect(acmeAdded.find((e) => e.action === 'notify')!.actorId).toBe(a.agentId);

    const globexAdded = (await auditOf(t, globex)).slice(before.globex);
    expect(globexAdded.map((e) => e.action).sort()).toEqual(['agent_spawn', 'ci_event']);
    expect(globexAdded.every((e) => e.orgId === globex && e.projectId === g.projectId)).toBe(true);
    expect(globexAdded.find((e) => e.action === 'agent_spawn')!.actorId).toBe(g.agentId);

    for (const org of [acme, globex]) {
      const ci = await auditOf(t, org, { action: 'ci_event' });
      expect(ci).toHaveLength(1);
      expect(ci[0]!.metadata.deliveryId).toBe('d-orgs');
      expect((await t.api().get('/api/audit/verify').set('x-org-id', org).expect(200)).body).toMatchObject({ valid: true, brokenAt: null });
    }
    expect((await t.api().get('/api/audit/verify').expect(200)).body.valid).toBe(true);
    expect(await auditOf(t, 'default', { action: 'ci_event' })).toHaveLength(0);

    // Both projects' lastBuild moved; the spawned agent lives in Globex only.
    expect((await projectView(t, a.projectId)).lastBuild).toMatchObject({ conclusion: 'failure' });
    expect((await projectView(t, g.projectId)).lastBuild).toMatchObject({ conclusion: 'failure' });
    expect((await agentDetails(t, g.agentId)).stats.incidentsHandled).toBe(1);
    expect((await agentDetails(t, a.agentId)).stats.incidentsHandled).toBe(0);
    await t.api().get(`/api/agents/${spawnedId}`).set('x-org-id', globex).expect(200);
    await t.api().get(`/api/agents/${spawnedId}`).set('x-org-id', acme).expect(404);
  });

  it('answers a redelivery to both orgs as one duplicate', async () => {
    const acme = await createOrg('Acme');
    await linkRepo(t, 'shared/repo', { org: acme });
    await linkRepo(t, 'shared/repo');
    await deliver(t, 'workflow_run', workflowRun({ repo: 'shared/repo' }), { id: 'd-twice' }).expect(200);
    const res = await deliver(t, 'workflow_run', workflowRun({ repo: 'shared/repo' }), { id: 'd-twice' }).expect(200);
    expect(res.body.duplicate).toBe(true);
    expect(await auditOf(t, acme, { action: 'ci_event' })).toHaveLength(1);
    expect(await auditOf(t, 'default', { action: 'ci_event' })).toHaveLength(1);
  });
});
