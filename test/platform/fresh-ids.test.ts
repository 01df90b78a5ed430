import { afterEach, describe, expect, it } from 'vitest';
import { insertWithFreshId } from '../../src/ids.js';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';
import { seedProject } from '../channels/fixtures.js';

describe('insertWithFreshId', () => {
  it('draws again while the id is taken, and answers the row that went in', async () => {
    const taken = new Set(['x-1', 'x-2']);
    const ids = ['x-1', 'x-2', 'x-3'];
    const drawn: string[] = [];
    const row = await insertWithFreshId(
      () => ({ id: ids[drawn.length]!, n: drawn.push(ids[drawn.length]!) }),
      async (r) => !taken.has(r.id),
    );
    expect(drawn).toEqual(['x-1', 'x-2', 'x-3']);
    expect(row).toEqual({ id: 'x-3', n: 3 });
  });

  it('gives up with an error after the draws it is allowed, having written nothing', async () => {
    let draws = 0;
    await expect(insertWithFreshId(() => ({ id: `x-${++draws}` }), async () => false, 3)).rejects.toThrow('no free id after 3 draws');
    expect(draws).toBe(3);
  });
});

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('inserting under a taken id', () => {
  it('an agent: answers false and leaves the agent that has the id as it was', async () => {
    t = await makeTestApp();
    const first = (await t.api().post('/api/agents').set(inOrg('default')).send({ name: 'first', type: 'task' }).expect(201)).body as { id: string };
    const again = await t.deps.engine.repos.agents.insert({
      id: first.id, orgId: 'default', projectId: null, name: 'second', type: 'task', status: 'ACTIVE', autonomyLevel: 1, task: null,
      startedAt: '2026-01-01T00:00:00.000Z', lastActivity: '2026-01-01T00:00:00.000Z', createdAt: '2026-01-01T00:00:00.000Z',
      messagesProcessed: 0, tasksCompleted: 0, reviewsPerformed: 0, deploysTriggered: 0, incidentsHandled: 0,
    });
    expect(again).toBe(false);
    const listed = (await t.api().get('/api/agents').set(inOrg('default')).expect(200)).body as Array<{ id: string; name: string }>;
    expect(listed.filter((a) => a.id === first.id)).toEqual([expect.objectContaining({ name: 'first' })]);
  });

  it('a project: answers false and writes nothing', async () => {
    t = await makeTestApp();
    await seedProject(t, { id: 'proj-taken', orgId: 'default', repo: 'acme/one' });
    const again = await t.deps.engine.repos.projects.insert({
      id: 'proj-taken', orgId: 'default', name: 'two', repo: 'acme/two', repoKey: 'acme/two', defaultBranch: 'main',
      webhookConfigured: false, webhookId: null, linkedAt: '2026-01-01T00:00:00.000Z', linkedBy: 'api', agentId: null, lastBuild: null, lastDeploy: null,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(again).toBe(false);
    const { projects } = (await t.api().get('/api/projects').set(inOrg('default')).expect(200)).body as { projects: Array<{ id: string; repo: string }> };
    expect(projects.map((p) => [p.id, p.repo])).toEqual([['proj-taken', 'acme/one']]);
  });
});
