import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inOrg, makeTestApp, type TestApp, sqliteOf } from '../helpers/app.js';
import { createOrg, seedProject } from '../channels/fixtures.js';
import { TEST_ENGINE } from '../helpers/deps.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

const message = (orgId: string, userId: string, text: string, projectId?: string) =>
  t.api().post('/api/channels/web/messages').set(inOrg(orgId)).send({ userId, text, ...(projectId ? { projectId } : {}) }).expect(201);
const stats = async (headers: Record<string, string> = {}, query: Record<string, string> = {}) =>
  (await t.api().get('/api/memory').set(headers).query(query).expect(200)).body;
const search = (headers: Record<string, string>, query: Record<string, string | number>) => t.api().get('/api/memory/search').set(headers).query(query);

/** What a document occupies: its UTF-8 text plus 256 float32 values. */
const storageOf = (texts: string[]) => Math.round((texts.reduce((n, s) => n + Buffer.byteLength(s) + 256 * 4, 0) / 1048576) * 1e6) / 1e6;

describe('GET /api/memory', () => {
  it('answers the exact shape, all zeros, on an empty store', async () => {
    expect(await stats()).toEqual({
      vectorStore: { totalEmbeddings: 0, storageMB: 0, lastSync: null, dimensions: 256, backend: TEST_ENGINE },
      conversations: { totalMessages: 0, uniqueUsers: 0, channels: { whatsapp: 0, slack: 0, discord: 0, telegram: 0, web: 0 }, retentionDays: 365 },
      projectContext: { filesIndexed: 0, lastIndexed: null, repo: null },
    });
  });

  it('moves with real messages: messages per channel, unique users, embeddings, storage', async () => {
    const texts = ['first message', 'second message from alice', 'bob says hi – ünïcode'];
    await message('default', 'alice', texts[0]!);
    t.deps.clock.advance(1000);
    await message('default', 'alice', texts[1]!);
    t.deps.clock.advance(1000);
    await message('default', 'bob', texts[2]!);

    const s = await stats(inOrg('default'));
    expect(s.conversations).toEqual({ totalMessages: 3, uniqueUsers: 2, channels: { whatsapp: 0, slack: 0, discord: 0, telegram: 0, web: 3 }, retentionDays: 365 });
    expect(s.vectorStore).toEqual({ totalEmbeddings: 3, storageMB: storageOf(texts), lastSync: '2026-06-01T12:00:02.000Z', dimensions: 256, backend: TEST_ENGINE });
    expect(s.vectorStore.storageMB).toBeGreaterThan(0);
  });

  it('is scoped by org; without the header it totals every org', async () => {
    const acme = await createOrg(t.api, 'Acme');
    const globex = await createOrg(t.api, 'Globex');
    await message(acme, 'alice', 'acme one');
    await message(acme, 'bob', 'acme two');
    await message(globex, 'alice', 'globex one');

    expect((await stats(inOrg(acme))).conversations).toMatchObject({ totalMessages: 2, uniqueUsers: 2 });
    expect((await stats(inOrg(globex))).conversations).toMatchObject({ totalMessages: 1, uniqueUsers: 1 });
    expect((await stats(inOrg(globex))).vectorStore.totalEmbeddings).toBe(1);
    expect((await stats(inOrg('default'))).vectorStore.totalEmbeddings).toBe(0);
    const all = await stats();
    expect(all.conversations).toMatchObject({ totalMessages: 3, uniqueUsers: 2 });
    expect(all.vectorStore.totalEmbeddings).toBe(3);
  });

  it('reports the project context for ?projectId=, and the totals without it', async () => {
    const acme = await createOrg(t.api, 'Acme');
    await seedProject(t, { id: 'proj-a', orgId: acme, repo: 'acme/api' });
    await seedProject(t, { id: 'proj-b', orgId: acme, repo: 'acme/web' });
    await message(acme, 'alice', 'about api', 'proj-a');
    t.deps.clock.advance(5000);
    (await t.services.memory.addDocument({ orgId: acme, projectId: 'proj-a', source: 'push', text: 'feat: add rate limiting' }));
    await message(acme, 'alice', 'about web', 'proj-b');
    await message(acme, 'alice', 'no project');

    expect((await stats(inOrg(acme), { projectId: 'proj-a' })).projectContext).toEqual({ filesIndexed: 2, lastIndexed: '2026-06-01T12:00:05.000Z', repo: 'acme/api' });
    expect((await stats(inOrg(acme))).projectContext).toEqual({ filesIndexed: 3, lastIndexed: '2026-06-01T12:00:05.000Z', repo: null });
    // Another org's project is not visible from here.
    expect((await stats(inOrg('default'), { projectId: 'proj-a' })).projectContext).toEqual({ filesIndexed: 0, lastIndexed: null, repo: null });
    expect((await t.services.memory.summaryForProject(acme, 'proj-a'))).toEqual({ embeddings: 2, storageMB: storageOf(['about api', 'feat: add rate limiting']) });
  });

  it('answers 400 INVALID_PARAMETER for a repeated projectId', async () => {
    const res = await t.api().get('/api/memory?projectId=a&projectId=b').expect(400);
    expect(res.body.code).toBe('INVALID_PARAMETER');
  });

  it('keeps conversations for retentionDays', async () => {
    await message('default', 'alice', 'old news');
    t.deps.clock.advance(366 * 86_400_000);
    await message('default', 'bob', 'fresh');
    expect((await t.services.memory.purgeConversations())).toBe(1);
    expect((await stats()).conversations).toMatchObject({ totalMessages: 1, uniqueUsers: 1 });
  });
});

describe('GET /api/memory/search', () => {
  const seed = async (orgId: string) => {
    for (const text of [
      'CI pipeline failed on the main branch after the lint step',
      'Deploy to production succeeded for release 2.3',
      'feat: add rate limiting to the public API',
      'Refactor the billing module',
    ]) {
      (await t.services.memory.addDocument({ orgId, projectId: null, source: 'push', text }));
    }
  };

  it('returns the most similar document first, with the result shape', async () => {
    await seed('default');
    const res = await search({}, { q: 'rate limiting for the API' }).expect(200);
    const results = res.body.results as Array<{ text: string; score: number }>;
    expect(results[0]).toEqual({
      id: expect.stringMatching(/^mem-/),
      text: 'feat: add rate limiting to the public API',
      source: 'push',
      projectId: null,
      score: expect.any(Number),
      createdAt: '2026-06-01T12:00:00.000Z',
    });
    expect(results[0]!.score).toBeGreaterThan(0.5);
    const scores = results.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    const ci = (await search({}, { q: 'why did the CI pipeline fail on main?' }).expect(200)).body.results;
    expect(ci[0].text).toBe('CI pipeline failed on the main branch after the lint step');
  });

  it('leaves out unrelated documents and honours limit and projectId', async () => {
    await seed('default');
    (await t.services.memory.addDocument({ orgId: 'default', projectId: 'proj-x', source: 'pull_request', text: 'rate limiting middleware' }));
    expect((await search({}, { q: 'kubernetes' }).expect(200)).body.results).toEqual([]);
    expect((await search({}, { q: 'rate limiting', limit: 1 }).expect(200)).body.results).toHaveLength(1);
    const scoped = (await search({}, { q: 'rate limiting', projectId: 'proj-x' }).expect(200)).body.results;
    expect(scoped.map((r: { text: string }) => r.text)).toEqual(['rate limiting middleware']);
  });

  it('clamps limit to 50', async () => {
    for (let i = 0; i < 60; i++) (await t.services.memory.addDocument({ orgId: 'default', projectId: null, source: 'push', text: `commit number ${i}` }));
    expect((await search({}, { q: 'commit', limit: 1000 }).expect(200)).body.results).toHaveLength(50);
    expect((await search({}, { q: 'commit' }).expect(200)).body.results).toHaveLength(10);
  });

  it('is scoped by org', async () => {
    const acme = await createOrg(t.api, 'Acme');
    await seed(acme);
    expect((await search(inOrg('default'), { q: 'rate limiting' }).expect(200)).body.results).toEqual([]);
    expect((await search(inOrg(acme), { q: 'rate limiting' }).expect(200)).body.results).not.toEqual([]);
    expect((await search({}, { q: 'rate limiting' }).expect(200)).body.results).not.toEqual([]);
  });

  it('answers 400 MISSING_PARAMETER without q', async () => {
    for (const query of [{}, { q: "" }, { limit: 5 }] as Array<Record<string, string | number>>) {
      const res = await search({}, query).expect(400);
      expect(res.body).toMatchObject({ code: 'MISSING_PARAMETER', status: 400, error: 'Missing required parameter: q' });
    }
  });

  it('answers 400 INVALID_PARAMETER for a bad limit', async () => {
    for (const limit of ['0', '-1', 'abc', '1.5']) {
      const res = await search({}, { q: 'x', limit }).expect(400);
      expect(res.body.code, limit).toBe('INVALID_PARAMETER');
    }
  });
});
