import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';
import { allEntries } from '../helpers/audit.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

const ACTIONS = ['deploy', 'status', 'suspend', 'resume', 'kill', 'notify', 'link', 'project_delete'];

async function totalsByRisk(orgId: string | null) {
  const out: Record<string, number> = {};
  for (const risk of ['low', 'medium', 'high', 'critical']) {
    const req = t.api().get(`/api/audit?risk=${risk}&limit=1`);
    if (orgId) req.set(inOrg(orgId));
    out[risk] = (await req.expect(200)).body.total as number;
  }
  return out;
}

const counted = (entries: Array<{ risk?: unknown }>) =>
  entries.reduce<Record<string, number>>((m, e) => ({ ...m, [String(e.risk)]: (m[String(e.risk)] ?? 0) + 1 }), { low: 0, medium: 0, high: 0, critical: 0 });

describe('GET /api/audit?risk= totals (kept counters)', () => {
  it('match the entries really stored, per org and across orgs, through appends and retention', async () => {
    await t.api().post('/api/orgs').send({ name: 'Other' }).expect(201);
    for (let i = 0; i < 120; i++) {
      (await t.services.audit.append({ orgId: i % 3 ? 'default' : 'org-other', actorType: 'user', actorId: 'u', action: ACTIONS[i % ACTIONS.length]! }));
      t.deps.clock.advance(60_000);
    }
    const check = async () => {
      const mine = await allEntries(t, 'default');
      expect(await totalsByRisk('default')).toEqual(counted(mine as Array<{ risk?: unknown }>));
      const other = await allEntries(t, 'org-other');
      const all = counted([...mine, ...other] as Array<{ risk?: unknown }>);
      expect(await totalsByRisk(null)).toEqual(all);
    };
    await check();
    // Retention removes the older half: counters follow the rows that are gone.
    t.deps.clock.advance(86_400_000 - 60 * 60_000);
    const removed = await t.services.audit.purgeOlderThan(1);
    expect(removed.removed).toBeGreaterThan(0);
    await check();
    const { body } = await t.api().get('/api/audit/verify').expect(200);
    expect(body.valid).toBe(true);
  });
});
