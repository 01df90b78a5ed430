import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { auditOf, deliver, linkRepo, push } from './fixtures.js';
import { execSql } from '../helpers/engine-db.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp({ env: { GITHUB_WEBHOOK_SECRET: 's' } });
});
afterEach(() => t.close());

describe('POST /webhooks/github under a burst (group commit)', () => {
  it('applies concurrent deliveries once each, answers duplicates within the same batch, and keeps the chain valid', async () => {
    await linkRepo(t, undefined, { level: 3 });
    const ids = Array.from({ length: 12 }, (_, i) => `burst-${i}`);
    // Every id twice, all in flight together: many land in one batch.
    const answers = await Promise.all([...ids, ...ids].map((id) => deliver(t, 'push', push({ messages: [`commit ${id}`] }), { id, secret: 's' }).expect(200)));
    const processed = answers.filter((r) => r.body.processed === true);
    const duplicates = answers.filter((r) => r.body.duplicate === true);
    expect(processed).toHaveLength(12);
    expect(duplicates).toHaveLength(12);
    expect(new Set(processed.map((r) => (r.request as unknown as { header: Record<string, string> }).header['x-github-delivery'])).size).toBe(12);
    const ciEvents = await auditOf(t, 'default', { action: 'ci_event' });
    expect(ciEvents.map((e) => (e.metadata as { deliveryId: string }).deliveryId).sort()).toEqual([...ids].sort());
    expect((await t.api().get('/api/audit/verify').expect(200)).body).toMatchObject({ valid: true });
    // The documents reached the real memory module (L3 push → context_updated).
    const memory = await t.api().get('/api/memory').expect(200);
    expect(memory.body.vectorStore.totalEmbeddings).toBe(12);
  });
});

describe('POST /webhooks/github: a delivery that fails inside a batch', () => {
  it('fails alone: the others of its burst are applied, and it leaves nothing behind (sent again, it runs again)', async () => {
    await linkRepo(t, undefined, { level: 3 });
    // A database that refuses one delivery's memory document (an L3 push stores its commits).
    if (t.deps.engine.kind === 'sqlite') {
      await execSql(t, "CREATE TRIGGER boom BEFORE INSERT ON memory_documents WHEN NEW.text LIKE '%boom%' BEGIN SELECT RAISE(ABORT, 'boom'); END");
    } else {
      await execSql(t, "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.text LIKE '%boom%' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$");
      await execSql(t, 'CREATE TRIGGER boom BEFORE INSERT ON memory_documents FOR EACH ROW EXECUTE FUNCTION boom()');
    }
    const ids = Array.from({ length: 12 }, (_, i) => `mixed-${i}`);
    const failing = new Set(['mixed-3', 'mixed-8']);
    const answers = await Promise.all(ids.map((id) => deliver(t, 'push', push({ messages: [failing.has(id) ? `boom ${id}` : `commit ${id}`] }), { id, secret: 's' })));
    expect(answers.map((r) => r.status)).toEqual(ids.map((id) => (failing.has(id) ? 500 : 200)));
    expect(answers.filter((r) => r.status === 200).every((r) => r.body.processed === true)).toBe(true);
    const ciEvents = await auditOf(t, 'default', { action: 'ci_event' });
    expect(ciEvents.map((e) => (e.metadata as { deliveryId: string }).deliveryId).sort()).toEqual(ids.filter((id) => !failing.has(id)).sort());
    // Not recorded as seen: the same delivery fails again instead of being answered as a duplicate.
    expect((await deliver(t, 'push', push({ messages: ['boom mixed-3'] }), { id: 'mixed-3', secret: 's' })).status).toBe(500);
    expect((await t.api().get('/api/audit/verify').expect(200)).body).toMatchObject({ valid: true });
  });

  it("counts every delivery of a burst to the instance URL in each org it reaches, and their agents' last activity", async () => {
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    const mine = await linkRepo(t, undefined, { level: 3 });
    const theirs = await linkRepo(t, undefined, { org: 'org-acme', level: 3 });
    const ids = Array.from({ length: 10 }, (_, i) => `spread-${i}`);
    // Later than the agents' creation, so their last activity shows the deliveries.
    t.deps.clock.advance(60_000);
    const answers = await Promise.all(ids.map((id) => deliver(t, 'push', push({ messages: [`commit ${id}`] }), { id, secret: 's' }).expect(200)));
    expect(answers.every((r) => r.body.processed === true && r.body.outcomes.length === 2)).toBe(true);
    const now = t.deps.clock.now().toISOString();
    for (const org of ['default', 'org-acme']) {
      const view = (await t.api().get('/api/webhooks').set('x-org-id', org).expect(200)).body;
      expect(view, org).toMatchObject({ lastDeliveryAt: now, deliveries24h: 10 });
    }
    for (const { agentId } of [mine, theirs]) {
      const agent = (await t.api().get(`/api/agents/${agentId}`).set('x-org-id', agentId === mine.agentId ? 'default' : 'org-acme').expect(200)).body;
      expect(agent.lastActivity).toBe(now);
    }
    expect((await t.api().get('/api/audit/verify').expect(200)).body).toMatchObject({ valid: true });
    expect((await t.api().get('/api/audit/verify').set('x-org-id', 'org-acme').expect(200)).body).toMatchObject({ valid: true });
  });
});
