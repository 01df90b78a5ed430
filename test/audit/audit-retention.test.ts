import { execSql, tamperSql } from '../helpers/engine-db.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp, sqliteOf } from '../helpers/app.js';
import { openTestDb } from '../helpers/deps.js';
import { allEntries, appendMany } from '../helpers/audit.js';

let t: TestApp;
const cleanups: Array<() => void> = [];
afterEach(() => {
  t?.close();
  while (cleanups.length) cleanups.pop()!();
});

describe('concurrent appends', () => {
  it('never forks a chain: 100 concurrent creations over two connections, plus direct appends', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-audit-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'audit.db');
    t = await makeTestApp({ db: openTestDb(file) });
    const u = await makeTestApp({ db: openTestDb(file) });
    cleanups.push(() => u.close());

    const direct = async (app: TestApp, n: number) => {
      for (let i = 0; i < n; i++) {
        await new Promise((r) => setImmediate(r));
        (await app.services.audit.append({ orgId: 'default', actorType: 'agent', actorId: `agent-${i}`, action: 'status', metadata: { i } }));
      }
    };
    const creations = Array.from({ length: 100 }, (_, i) =>
      (i % 2 ? t : u).api().post('/api/orgs').set('x-actor-id', `user-${i}`).send({ name: `Tenant ${i}` }),
    );
    const same = Array.from({ length: 10 }, (_, i) => (i % 2 ? t : u).api().post('/api/orgs').send({ name: 'Contended' }));
    const results = await Promise.all([...creations, ...same, direct(t, 40), direct(u, 40)]);

    const statuses = results.slice(0, 110).map((r) => (r as { status: number }).status);
    expect(statuses.slice(0, 100).every((s) => s === 201)).toBe(true);
    expect(statuses.slice(100).sort()).toEqual([201, ...Array(9).fill(409)]);

    for (const app of [t, u]) {
      const res = await app.api().get('/api/audit/verify').expect(200);
      expect(res.body).toMatchObject({ valid: true, checked: 101 + 80 });
      expect(res.body.orgs).toHaveLength(102);
      expect(res.body.orgs.find((o: { orgId: string }) => o.orgId === 'default')).toEqual({ orgId: 'default', valid: true, checked: 80, brokenAt: null, unkeyed: 80 });
    }
    const defaults = await allEntries(t, 'default');
    expect(defaults).toHaveLength(80);
    expect(new Set(defaults.map((e) => e.hash)).size).toBe(80);
    expect((await u.api().get('/api/audit/verify').set(inOrg('org-tenant-17')).expect(200)).body).toEqual({ valid: true, checked: 1, brokenAt: null, keyed: false, unkeyed: 1 });
  });
});

describe('retention', () => {
  const DAY = 86_400_000;

  it('deletes entries older than the retention and verify stays valid, before and after new appends', async () => {
    t = await makeTestApp();
    await t.api().post('/api/orgs').send({ name: 'Keeper' }).expect(201);
    await appendMany(t, 'default', 30);
    await appendMany(t, 'org-keeper', 10);
    t.deps.clock.advance(300 * DAY);
    await appendMany(t, 'default', 5);
    t.deps.clock.advance(100 * DAY);

    const result = (await t.services.audit.purgeOlderThan(365));
    expect(result).toEqual({
      removed: 41,
      orgs: expect.arrayContaining([
        { orgId: 'default', removed: 30 },
        { orgId: 'org-keeper', removed: 11 },
      ]),
    });

    const page = await t.api().get('/api/audit?limit=100').expect(200);
    expect(page.body.total).toBe(5);
    expect((await t.api().get('/api/audit').set(inOrg('org-keeper')).expect(200)).body).toMatchObject({ total: 0, entries: [], totalPages: 0 });
    expect((await t.api().get('/api/audit/verify').set(inOrg('default')).expect(200)).body).toEqual({ valid: true, checked: 5, brokenAt: null, keyed: false, unkeyed: 5 });
    expect((await t.api().get('/api/audit/verify').expect(200)).body).toMatchObject({ valid: true, checked: 5 });

    await appendMany(t, 'default', 3);
    await appendMany(t, 'org-keeper', 2);
    expect((await t.api().get('/api/audit/verify').expect(200)).body).toEqual({
      valid: true,
      checked: 10,
      keyed: false,
      unkeyed: 10,
      orgs: [
        { orgId: 'default', valid: true, checked: 8, brokenAt: null, unkeyed: 8 },
        { orgId: 'org-keeper', valid: true, checked: 2, brokenAt: null, unkeyed: 2 },
      ],
    });
    // Closed again: the database still refuses deletions outside retention.
    await expect(execSql(t, 'DELETE FROM audit_entries')).rejects.toThrow(/append-only/);
  });

  it('keeps an entry exactly at the cutoff and removes nothing when nothing is old', async () => {
    t = await makeTestApp();
    await appendMany(t, 'default', 2);
    t.deps.clock.advance(10 * DAY);
    expect((await t.services.audit.purgeOlderThan(30))).toEqual({ removed: 0, orgs: [] });

    const [, second] = await allEntries(t, 'default');
    t.deps.clock.set(new Date(new Date(second!.timestamp).getTime() + 30 * DAY));
    expect((await t.services.audit.purgeOlderThan(30))).toEqual({ removed: 1, orgs: [{ orgId: 'default', removed: 1 }] });
    const left = await allEntries(t, 'default');
    expect(left.map((e) => e.id)).toEqual([second!.id]);
    expect((await t.api().get('/api/audit/verify').set(inOrg('default')).expect(200)).body).toEqual({ valid: true, checked: 1, brokenAt: null, keyed: false, unkeyed: 1 });
  });

  it('still detects tampering after retention', async () => {
    t = await makeTestApp();
    await appendMany(t, 'default', 5);
    t.deps.clock.advance(400 * DAY);
    await appendMany(t, 'default', 5);
    (await t.services.audit.purgeOlderThan(365));
    const kept = await allEntries(t, 'default');
    expect(kept).toHaveLength(5);
    await tamperSql(t, "UPDATE audit_entries SET actor_id = 'x' WHERE id = ?", kept[0]!.id);
    expect((await t.api().get('/api/audit/verify').set(inOrg('default')).expect(200)).body).toEqual({ valid: false, checked: 5, brokenAt: kept[0]!.id, keyed: false, unkeyed: 5 });
  });
});
