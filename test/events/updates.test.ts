import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { agentAction, deliver, linkRepo, workflowRun } from '../webhooks/fixtures.js';
import { listen, openStream } from './support.js';

let t: TestApp | undefined;
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  await t?.close();
  t = close = undefined;
});

describe('agent.updated and project.updated', () => {
  it('send the agent when its autonomy or its stats change, and the project as GET /api/projects lists it', async () => {
    t = await makeTestApp();
    const srv = await listen(t.app);
    close = srv.close;
    const s = await openStream(srv.base, '/api/events?types=agent.updated,project.updated');
    const { projectId, agentId } = await linkRepo(t);

    await agentAction(t, agentId, { action: 'set_autonomy', params: { level: 3 } });
    const autonomy = await s.next((f) => f.data!.data.id === agentId && f.data!.data.autonomyLevel === 3);
    expect(autonomy.data).toMatchObject({ type: 'agent.updated', orgId: 'default', data: { id: agentId, status: 'ACTIVE' } });

    // At level 3 a failed run spawns an incident agent and counts it on the project agent,
    // and a completed run is the project's last build.
    await deliver(t, 'workflow_run', workflowRun({ conclusion: 'failure' })).expect(200);
    const mine = () => s.frames.filter((f) => f.event === 'agent.updated' && f.data!.data.id === agentId);
    await s.next((f) => f.event === 'agent.updated' && f.data!.data.id === agentId && s.frames.indexOf(f) > s.frames.indexOf(autonomy));
    // The stats changed (they show in the agent's details); the event carries the agent itself.
    const { stats, project: _project, memory: _memory, ...agent } = (await t.api().get(`/api/agents/${agentId}`).expect(200)).body;
    expect(stats).toMatchObject({ incidentsHandled: 1 });
    expect(mine().at(-1)!.data!.data).toEqual(agent);

    const project = await s.next((f) => f.event === 'project.updated' && f.data!.data.lastBuild !== null && f.data!.data.lastBuild !== undefined);
    const listed = ((await t.api().get('/api/projects').expect(200)).body.projects as Array<{ id: string }>).find((p) => p.id === projectId);
    expect(project.data).toMatchObject({ type: 'project.updated', orgId: 'default' });
    expect(project.data!.data).toEqual(listed);
    expect(mine()).toHaveLength(2);
    expect(s.frames.every((f) => f.event === 'agent.updated' || f.event === 'project.updated')).toBe(true);
    s.close();
  });
});
