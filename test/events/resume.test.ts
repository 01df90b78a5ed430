import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';
import { listen, openStream, type Frame, type Stream } from './support.js';

const A = 'org-alpha';
const DAY = 86_400_000;
let t: TestApp;
let srv: Awaited<ReturnType<typeof listen>>;
let opened: Stream[] = [];
const open = async (path: string, headers: Record<string, string> = {}, base = srv.base) => {
  const s = await openStream(base, path, headers);
  opened.push(s);
  return s;
};

beforeAll(async () => {
  t = await makeTestApp({ env: { AUDIT_RETENTION_DAYS: '1' } });
  srv = await listen(t.app);
  await t.api().post('/api/orgs').send({ name: 'Alpha' }).expect(201);
});
afterEach(() => {
  opened.forEach((s) => s.close());
  opened = [];
});
afterAll(async () => {
  await srv.close();
  await t.close();
});

const append = (app: TestApp, n: string, orgId = A) => app.services.audit.append({ orgId, actorType: 'system', actorId: 'test', action: 'status', metadata: { n } });
const audits = (s: Stream) => s.frames.filter((f) => f.event === 'audit.appended');
const ns = (frames: Frame[]) => frames.map((f) => f.data!.data.metadata as { n?: string }).map((m) => m.n);

/** The cursors of the scope's entries, oldest first, read through a replay from the start. */
async function cursorsSoFar(headers: Record<string, string>, last: string): Promise<Frame[]> {
  const s = await open('/api/events?lastEventId=0&types=audit.appended', headers);
  await s.next((f) => (f.data!.data.metadata as { n?: string }).n === last);
  s.close();
  return audits(s);
}

describe('resuming a stream', () => {
  it('replays the scope’s entries after Last-Event-ID in chain order, then goes live', async () => {
    for (const n of ['r1', 'r2', 'r3', 'r4']) await append(t, n);
    await append(t, 'other-org', 'default');
    const all = await cursorsSoFar(inOrg(A), 'r4');
    const r2 = all.find((f) => ns([f])[0] === 'r2')!;
    const s = await open('/api/events', { ...inOrg(A), 'Last-Event-ID': r2.id! });
    await s.next((f) => ns([f])[0] === 'r4');
    await append(t, 'r5');
    await s.next((f) => ns([f])[0] === 'r5');
    expect(ns(audits(s))).toEqual(['r3', 'r4', 'r5']);
    const ids = audits(s).map((f) => Number(f.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it('takes the cursor from ?lastEventId= too, and an unscoped stream replays every org', async () => {
    const all = await cursorsSoFar({}, 'r5');
    const r3 = all.find((f) => ns([f])[0] === 'r3')!;
    const s = await open(`/api/events?lastEventId=${r3.id}`);
    await s.next((f) => ns([f])[0] === 'r5');
    expect(ns(audits(s))).toEqual(['r4', 'other-org', 'r5']);
  });

  it('loses and repeats nothing at the seam while writes keep coming', async () => {
    const before = await cursorsSoFar(inOrg(A), 'r5');
    const from = before.at(-1)!.id!;
    let writing = true;
    const written: string[] = [];
    const writer = (async () => {
      for (let i = 0; (writing || i < 20) && i < 500; i++) {
        const batch = [0, 1, 2].map((j) => `w${i}-${j}`);
        await Promise.all(batch.map((n) => append(t, n)));
        written.push(...batch);
        // SQLite's appends settle without I/O: give the streams' sockets their turn.
        await new Promise((r) => setImmediate(r));
      }
    })();
    const streams: Stream[] = [];
    for (let k = 0; k < 5; k++) streams.push(await open('/api/events', { ...inOrg(A), 'Last-Event-ID': from }));
    writing = false;
    await writer;
    await append(t, 'end');
    for (const s of streams) {
      await s.next((f) => ns([f])[0] === 'end', 15_000);
      const got = ns(audits(s));
      expect(new Set(got).size).toBe(got.length);
      expect(got.slice(0, -1).sort()).toEqual([...written].sort());
      const ids = audits(s).map((f) => Number(f.id));
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    }
  });

  it('resumes on a restarted server over the same database', async () => {
    const before = await cursorsSoFar(inOrg(A), 'end');
    const from = before.find((f) => ns([f])[0] === 'r4')!.id!;
    // A second app over the same engine starts with nothing in memory, as a restarted process does.
    const again = await makeTestApp({ engine: t.deps.engine });
    const other = await listen(again.app);
    try {
      const s = await open('/api/events', { ...inOrg(A), 'Last-Event-ID': from }, other.base);
      await s.next((f) => ns([f])[0] === 'end', 15_000);
      expect(ns(audits(s))).toEqual(ns(before).slice(ns(before).indexOf('r4') + 1));
      await append(again, 'after-restart');
      await s.next((f) => ns([f])[0] === 'after-restart');
    } finally {
      await other.close();
    }
  });

  it('replays from the oldest kept entry when the cursor is older than retention', async () => {
    const before = await cursorsSoFar(inOrg(A), 'end');
    t.deps.clock.advance(2 * DAY);
    await append(t, 'kept');
    await t.api().post('/api/scheduler/audit-cleanup/run').expect(200);
    const s = await open('/api/events', { ...inOrg(A), 'Last-Event-ID': before[0]!.id! });
    await s.next((f) => ns([f])[0] === 'kept');
    expect(ns(audits(s))).toEqual(['kept']);
  });

  it('starts live when the cursor is past the newest entry', async () => {
    const s = await open('/api/events', { ...inOrg(A), 'Last-Event-ID': '999999999' });
    await s.comment(() => true);
    await append(t, 'live-after-future');
    await s.next((f) => ns([f])[0] === 'live-after-future');
    expect(ns(audits(s))).toEqual(['live-after-future']);
  });
});
