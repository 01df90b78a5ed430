import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { createWebhooksService, type MemoryPort } from '../../src/webhooks/webhooks.service.js';
import { auditOf, linkRepo, pullRequest, push } from './fixtures.js';

type Doc = Parameters<MemoryPort['addDocument']>[0];

/**
 * The memory domain is wired in services.ts once it exists; until then these tests build
 * the webhooks service over the app's real services with a recording memory port, to
 * show what the port is asked to keep.
 */
let t: TestApp;
let docs: Doc[];
let failing: boolean;
let service: ReturnType<typeof createWebhooksService>;

beforeEach(async () => {
  t = await makeTestApp();
  docs = [];
  failing = false;
  const port: MemoryPort = {
    addDocument: async (d) => {
      if (failing) throw new Error('memory unavailable');
      docs.push(d);
    },
  };
  const { engine, clock } = t.deps;
  const { audit, agents, projects } = t.services;
  service = createWebhooksService({ uow: engine.uow, audit, agents, projects, memory: port, clock, restrictInstanceUrl: false });
});
afterEach(() => t.close());

// Each body hashed as sent, so the replay rule sees what a real delivery would show it.
const run = (event: string, payload: unknown) =>
  service.process({ event, deliveryId: null, payload, orgId: null, bodySha256: createHash('sha256').update(JSON.stringify(payload)).digest('hex') });

describe('memory documents from webhook events', () => {
  it('keeps the title of an opened PR at L3+', async () => {
    for (const level of [3, 5]) {
      docs = [];
      const { projectId } = await linkRepo(t, `acme/l${level}`, { level });
      await run('pull_request', pullRequest({ repo: `acme/l${level}` }));
      expect(docs).toEqual([{ orgId: 'default', projectId, source: 'pull_request', text: 'feat: add rate limiting' }]);
    }
  });

  it("keeps every commit message of a push at L3+ (context_updated)", async () => {
    const { projectId } = await linkRepo(t, undefined, { level: 3 });
    const res = await run('push', push({ messages: ['fix: one', 'feat: two\n\nwith a body'] }));
    expect(res).toMatchObject({ outcomes: [{ outcome: 'context_updated' }] });
    expect(docs).toEqual([
      { orgId: 'default', projectId, source: 'push', text: 'fix: one' },
      { orgId: 'default', projectId, source: 'push', text: 'feat: two\n\nwith a body' },
    ]);
  });

  it('keeps nothing below L3, for a suspended agent, or for other events', async () => {
    await linkRepo(t, 'acme/l2', { level: 2 });
    await linkRepo(t, 'acme/off', { level: 5, suspend: true });
    await linkRepo(t, 'acme/l5', { level: 5 });
    for (const repo of ['acme/l2', 'acme/off']) {
      await run('pull_request', pullRequest({ repo }));
      await run('push', push({ repo }));
    }
    await run('pull_request', pullRequest({ repo: 'acme/l5', action: 'closed', merged: true }));
    expect(docs).toEqual([]);
  });

  it('keeps documents in the org of each linked project', async () => {
    const org = (await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201)).body.id as string;
    const a = await linkRepo(t, 'shared/repo', { level: 3 });
    const b = await linkRepo(t, 'shared/repo', { org, level: 3 });
    await run('pull_request', pullRequest({ repo: 'shared/repo' }));
    expect(docs.map((d) => [d.orgId, d.projectId]).sort()).toEqual([['default', a.projectId], [org, b.projectId]].sort());
  });

  it('undoes the whole delivery when the memory port fails', async () => {
    const { agentId } = await linkRepo(t, undefined, { level: 3 });
    const before = (await auditOf(t)).length;
    failing = true;
    await expect(run('pull_request', pullRequest())).rejects.toThrow('memory unavailable');
    expect(await auditOf(t)).toHaveLength(before);
    expect((await t.api().get(`/api/agents/${agentId}`).expect(200)).body.stats.reviewsPerformed).toBe(0);
    expect((await t.api().get('/api/agents').expect(200)).body).toHaveLength(1);
  });
});
