import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/errors.js';
import type { AppendInput } from '../../src/audit/audit.service.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

type Seed = Omit<AppendInput, 'orgId'> & { orgId?: string };

/** One entry per second from 12:00:01Z, in the default org unless said otherwise. */
const SEED: Seed[] = [
  { actorType: 'user', actorId: 'alice', action: 'deploy', projectId: 'proj-1', metadata: { env: 'prod' } },
  { actorType: 'agent', actorId: 'agent-x', action: 'status', projectId: 'proj-1' },
  { actorType: 'system', actorId: 'scheduler', action: 'audit_cleanup' },
  { actorType: 'user', actorId: 'bob', action: 'suspend', projectId: 'proj-2' },
  { actorType: 'user', actorId: 'alice', action: 'instruct', projectId: 'proj-2' },
  { actorType: 'agent', actorId: 'agent-x', action: 'ci_event', result: 'processed', projectId: 'proj-1' },
  { actorType: 'user', actorId: 'alice', action: 'deploy', projectId: 'proj-2', result: 'failed' },
  { actorType: 'agent', actorId: 'agent-y', action: 'review', projectId: 'proj-2' },
];
const at = (i: number) => `2026-06-01T12:00:${String(i + 1).padStart(2, '0')}.000Z`;

async function seed(entries: Seed[] = SEED): Promise<void> {
  for (const e of entries) {
    t.deps.clock.advance(1000);
    (await t.services.audit.append({ orgId: 'default', ...e }));
  }
}

async function seedMany(n: number, orgId = 'default'): Promise<void> {
  for (let i = 0; i < n; i++) {
    t.deps.clock.advance(1000);
    (await t.services.audit.append({ orgId, actorType: 'system', actorId: 'filler', action: 'notify', metadata: { i } }));
  }
}

const get = (query = '', orgId?: string) => {
  const req = t.api().get(`/api/audit${query}`);
  return orgId ? req.set(inOrg(orgId)) : req;
};
const actions = (body: { entries: Array<{ action: string }> }) => body.entries.map((e) => e.action);
const times = (body: { entries: Array<{ timestamp: string }> }) => body.entries.map((e) => e.timestamp);

describe('GET /api/audit shape and order', () => {
  it('answers the page shape with complete entries, newest first', async () => {
    await seed();
    const res = await get('', 'default').expect(200);
    expect(Object.keys(res.body).sort()).toEqual(['entries', 'hasMore', 'page', 'pageSize', 'total', 'totalPages']);
    expect(res.body).toMatchObject({ total: 8, page: 1, pageSize: 20, totalPages: 1, hasMore: false });
    expect(times(res.body)).toEqual([7, 6, 5, 4, 3, 2, 1, 0].map(at));
    const first = res.body.entries[7];
    expect(first).toEqual({
      id: expect.any(String),
      timestamp: at(0),
      actorType: 'user',
      actorId: 'alice',
      action: 'deploy',
      result: 'completed',
      metadata: { env: 'prod' },
      hash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      risk: 'critical',
      orgId: 'default',
      projectId: 'proj-1',
    });
    expect(res.body.entries[5]).toMatchObject({ action: 'audit_cleanup', metadata: {}, projectId: null, risk: 'low' });
    expect(new Set(res.body.entries.map((e: { id: string }) => e.id)).size).toBe(8);
  });

  it('answers append order with order=asc and newest first with order=desc', async () => {
    await seed();
    const asc = await get('?order=asc', 'default').expect(200);
    expect(times(asc.body)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map(at));
    const desc = await get('?order=desc').expect(200);
    expect(times(desc.body)).toEqual([7, 6, 5, 4, 3, 2, 1, 0].map(at));
  });

  it('keeps append order even when the clock goes backwards', async () => {
    await seed(SEED.slice(0, 2));
    t.deps.clock.advance(-60_000);
    (await t.services.audit.append({ orgId: 'default', actorType: 'system', actorId: 's', action: 'late' }));
    expect(actions((await get('?order=asc', 'default')).body)).toEqual(['deploy', 'status', 'late']);
    expect(actions((await get('', 'default')).body)).toEqual(['late', 'status', 'deploy']);
  });

  it('never writes an entry when read', async () => {
    await seed();
    await get('', 'default');
    await get();
    await t.api().get('/api/audit/verify');
    expect((await get()).body.total).toBe(8);
  });
});

describe('GET /api/audit pagination', () => {
  it('defaults to 20 per page and counts pages', async () => {
    await seedMany(45);
    const p1 = await get('', 'default').expect(200);
    expect(p1.body).toMatchObject({ total: 45, page: 1, pageSize: 20, totalPages: 3, hasMore: true });
    expect(p1.body.entries).toHaveLength(20);
    expect(p1.body.entries[0].metadata).toEqual({ i: 44 });
    const p3 = await get('?page=3', 'default').expect(200);
    expect(p3.body).toMatchObject({ total: 45, page: 3, pageSize: 20, totalPages: 3, hasMore: false });
    expect(p3.body.entries.map((e: { metadata: { i: number } }) => e.metadata.i)).toEqual([4, 3, 2, 1, 0]);
  });

  it('walks every entry exactly once across pages, scoped or not, in both orders', async () => {
    await seedMany(23);
    for (const [query, org] of [['?limit=7&order=asc', 'default'], ['?limit=7', 'default'], ['?limit=7&order=asc', undefined], ['?limit=7&actorId=filler', undefined]] as const) {
      const seen: number[] = [];
      for (let page = 1; page <= 4; page++) {
        const res = await get(`${query}&page=${page}`, org).expect(200);
        expect(res.body).toMatchObject({ total: 23, totalPages: 4, pageSize: 7, page, hasMore: page < 4 });
        seen.push(...res.body.entries.map((e: { metadata: { i: number } }) => e.metadata.i));
      }
      expect([...seen].sort((a, b) => a - b)).toEqual([...Array(23).keys()]);
    }
  });

  it('clamps a limit above 100 to 100', async () => {
    await seedMany(105);
    const res = await get('?limit=101', 'default').expect(200);
    expect(res.body).toMatchObject({ pageSize: 100, totalPages: 2, hasMore: true });
    expect(res.body.entries).toHaveLength(100);
    expect((await get('?limit=100000').expect(200)).body.pageSize).toBe(100);
    expect((await get(`?limit=${'9'.repeat(40)}`).expect(200)).body.pageSize).toBe(100);
  });

  it('accepts limit=1 and limit=100', async () => {
    await seedMany(3);
    expect((await get('?limit=1').expect(200)).body).toMatchObject({ pageSize: 1, totalPages: 3, hasMore: true });
    expect((await get('?limit=100').expect(200)).body).toMatchObject({ pageSize: 100, totalPages: 1, hasMore: false });
  });

  it.each(['limit=0', 'limit=-1', 'limit=1.5', 'limit=abc', 'limit=1e2', 'limit=%201', 'page=0', 'page=-3', 'page=2.5', 'page=x', 'page=9007199254740993', 'limit=5&limit=6'])(
    'answers 400 INVALID_PARAMETER for %s',
    async (query) => {
      const res = await get(`?${query}`, 'default');
      expectError(res, 400, 'INVALID_PARAMETER');
    },
  );

  it('treats empty values as absent', async () => {
    await seedMany(25);
    const res = await get('?limit=&page=&risk=&order=&action=&actorType=&since=&until=&actorId=&projectId=', 'default').expect(200);
    expect(res.body).toMatchObject({ total: 25, page: 1, pageSize: 20, totalPages: 2, hasMore: true });
    expect(res.body.entries[0].metadata).toEqual({ i: 24 });
  });

  it('answers a page past the end empty, with hasMore false', async () => {
    await seedMany(5);
    for (const org of ['default', undefined]) {
      const res = await get('?page=9&limit=2', org).expect(200);
      expect(res.body).toEqual({ entries: [], total: 5, page: 9, pageSize: 2, totalPages: 3, hasMore: false });
    }
    const filtered = await get('?page=4&limit=2&action=notify').expect(200);
    expect(filtered.body).toEqual({ entries: [], total: 5, page: 4, pageSize: 2, totalPages: 3, hasMore: false });
  });

  it('answers a very deep page empty, echoing the page asked for', async () => {
    await seedMany(3);
    const res = await get('?page=9007199254740991').expect(200);
    expect(res.body).toEqual({ entries: [], total: 3, page: 9007199254740991, pageSize: 20, totalPages: 1, hasMore: false });
  });

  it('answers totalPages 0 when there is nothing', async () => {
    expect((await get().expect(200)).body).toEqual({ entries: [], total: 0, page: 1, pageSize: 20, totalPages: 0, hasMore: false });
    expect((await get('', 'default').expect(200)).body).toEqual({ entries: [], total: 0, page: 1, pageSize: 20, totalPages: 0, hasMore: false });
    await seedMany(2);
    expect((await get('?action=nothing-like-this', 'default').expect(200)).body).toMatchObject({ total: 0, totalPages: 0, hasMore: false });
  });
});

describe('GET /api/audit filters', () => {
  beforeEach(async () => await seed());

  it.each([
    ['critical', ['deploy', 'deploy']],
    ['high', ['suspend']],
    ['medium', ['review', 'instruct']],
    ['low', ['ci_event', 'audit_cleanup', 'status']],
  ])('filters by risk=%s', async (risk, expected) => {
    const res = await get(`?risk=${risk}`, 'default').expect(200);
    expect(actions(res.body)).toEqual(expected);
    expect(res.body.total).toBe(expected.length);
    expect(res.body.entries.every((e: { risk: string }) => e.risk === risk)).toBe(true);
  });

  it('answers everything with risk=all', async () => {
    expect((await get('?risk=all', 'default').expect(200)).body.total).toBe(8);
    expect((await get('?risk=all').expect(200)).body.total).toBe(8);
  });

  it('filters by action', async () => {
    const res = await get('?action=deploy').expect(200);
    expect(times(res.body)).toEqual([at(6), at(0)]);
    expect((await get('?action=unknown_action').expect(200)).body.total).toBe(0);
  });

  it.each([
    ['user', ['deploy', 'instruct', 'suspend', 'deploy']],
    ['agent', ['review', 'ci_event', 'status']],
    ['system', ['audit_cleanup']],
  ])('filters by actorType=%s', async (actorType, expected) => {
    expect(actions((await get(`?actorType=${actorType}`, 'default').expect(200)).body)).toEqual(expected);
  });

  it('filters by actorId', async () => {
    const res = await get('?actorId=agent-x', 'default').expect(200);
    expect(actions(res.body)).toEqual(['ci_event', 'status']);
    expect(res.body.entries[0].result).toBe('processed');
  });

  it('filters by projectId', async () => {
    expect(actions((await get('?projectId=proj-1').expect(200)).body)).toEqual(['ci_event', 'status', 'deploy']);
    expect((await get('?projectId=proj-9').expect(200)).body.total).toBe(0);
  });

  it('treats since and until as inclusive', async () => {
    expect(times((await get(`?since=${at(5)}`).expect(200)).body)).toEqual([at(7), at(6), at(5)]);
    expect(times((await get(`?until=${at(1)}`).expect(200)).body)).toEqual([at(1), at(0)]);
    expect(times((await get(`?since=${at(3)}&until=${at(3)}`).expect(200)).body)).toEqual([at(3)]);
    expect(times((await get(`?since=${at(2)}&until=${at(4)}&order=asc`).expect(200)).body)).toEqual([at(2), at(3), at(4)]);
  });

  it('reads since and until with an offset or a bare date as instants', async () => {
    // 14:00:07+02:00 is 12:00:07Z, the seventh entry.
    const res = await get(`?since=${encodeURIComponent('2026-06-01T14:00:07+02:00')}`).expect(200);
    expect(times(res.body)).toEqual([at(7), at(6)]);
    expect((await get('?since=2026-06-01&until=2026-06-01').expect(200)).body.total).toBe(8);
    expect((await get('?until=2026-05-31').expect(200)).body.total).toBe(0);
    expect((await get('?since=2026-06-02').expect(200)).body.total).toBe(0);
  });

  it('reads a time without a zone as UTC, whatever the server zone', async () => {
    const saved = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(times((await get('?since=2026-06-01T12:00:07').expect(200)).body)).toEqual([at(7), at(6)]);
      expect(times((await get('?until=2026-06-01T12:00:02.000').expect(200)).body)).toEqual([at(1), at(0)]);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('answers nothing when since is after until', async () => {
    expect((await get(`?since=${at(5)}&until=${at(2)}`).expect(200)).body).toMatchObject({ total: 0, entries: [] });
  });

  it.each([
    'risk=extreme',
    'risk=LOW',
    'actorType=robot',
    'since=yesterday',
    'since=2026-13-01',
    'since=2026-02-31',
    'until=2026-06-01T25:00Z',
    'since=2026-06-01T12:00:00Zjunk',
    'until=not-a-date',
    'until=1717243200',
    'order=up',
    'order=ASC',
    'risk=low&risk=high',
  ])('answers 400 INVALID_PARAMETER for %s', async (query) => {
    expectError(await get(`?${query}`), 400, 'INVALID_PARAMETER');
  });

  it('combines filters', async () => {
    const res = await get('?risk=critical&actorId=alice&projectId=proj-2').expect(200);
    expect(res.body.total).toBe(1);
    expect(res.body.entries[0]).toMatchObject({ action: 'deploy', result: 'failed', timestamp: at(6) });

    const combo = await get(`?actorType=user&actorId=alice&since=${at(1)}&order=asc`, 'default').expect(200);
    expect(actions(combo.body)).toEqual(['instruct', 'deploy']);

    const none = await get('?actorType=agent&actorId=alice').expect(200);
    expect(none.body).toMatchObject({ total: 0, entries: [], totalPages: 0 });
  });

  it('paginates filtered results', async () => {
    const p2 = await get('?projectId=proj-2&limit=1&page=2').expect(200);
    expect(p2.body).toMatchObject({ total: 4, page: 2, pageSize: 1, totalPages: 4, hasMore: true });
    expect(actions(p2.body)).toEqual(['deploy']);
    const last = await get('?projectId=proj-2&limit=3&page=2&order=asc').expect(200);
    expect(last.body).toMatchObject({ total: 4, totalPages: 2, hasMore: false });
    expect(actions(last.body)).toEqual(['review']);
  });

  it('keeps filters inside the scoped org', async () => {
    await t.api().post('/api/orgs').set('x-actor-id', 'alice').send({ name: 'Other' }).expect(201);
    expect((await get('?actorId=alice', 'default').expect(200)).body.total).toBe(3);
    const other = await get('?actorId=alice', 'org-other').expect(200);
    expect(actions(other.body)).toEqual(['org_create']);
    expect((await get('?actorId=alice').expect(200)).body.total).toBe(4);
  });
});
