import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { auditOf, deliver, linkRepo, push } from './fixtures.js';

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
