import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { inOrg, type TestApp, sqliteOf } from '../helpers/app.js';
import { allEntries, appendMany } from '../helpers/audit.js';
import { attack, KEY, OTHER_KEY, rewriteFrom, serve, tempFolder, verify } from './tamper-support.js';

const folder = tempFolder();
afterAll(() => folder.remove());
let t: TestApp | undefined;
afterEach(() => t?.close());

const DAY = 86_400_000;

/** n entries in org-acme (created first) written by a server holding `key` (or none), then stopped. */
async function trail(file: string, key: string | undefined, n: number): Promise<void> {
  const app = await serve(file, key);
  try {
    if (!(await app.api().get('/api/orgs/org-acme')).ok) await app.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    await appendMany(app, 'org-acme', n);
  } finally {
    app.close();
  }
}

describe('AUDIT_HMAC_KEY: sealed entries', () => {
  it('answers keyed: true and counts nothing unkeyed when every entry was sealed', async () => {
    const file = folder.file();
    await trail(file, KEY, 9);
    t = await serve(file, KEY);
    expect(await verify(t, 'org-acme')).toEqual({ valid: true, checked: 10, brokenAt: null, keyed: true, unkeyed: 0 });
    expect(await verify(t)).toEqual({
      valid: true,
      checked: 10,
      keyed: true,
      unkeyed: 0,
      orgs: [
        { orgId: 'default', valid: true, checked: 0, brokenAt: null, unkeyed: 0 },
        { orgId: 'org-acme', valid: true, checked: 10, brokenAt: null, unkeyed: 0 },
      ],
    });
  });

  it('catches a rewrite that recomputed every hash and digest, which verify without the key cannot see', async () => {
    const file = folder.file();
    await trail(file, KEY, 9);
    const victim = (await (async () => {
      const app = await serve(file);
      try {
        return (await allEntries(app, 'org-acme'))[4]!;
      } finally {
        app.close();
      }
    })())!;
    attack(file, (db) => rewriteFrom(db, 'org-acme', 5, (d, seq) => d.prepare("UPDATE audit_entries SET risk = 'low', metadata = '{}' WHERE seq = ?").run(seq)));

    t = await serve(file);
    expect(await verify(t, 'org-acme')).toEqual({ valid: true, checked: 10, brokenAt: null, keyed: false, unkeyed: 10 });
    t.close();
    t = await serve(file, KEY);
    expect(await verify(t, 'org-acme')).toEqual({ valid: false, checked: 10, brokenAt: victim.id, keyed: true, unkeyed: 0 });
    expect(await verify(t)).toMatchObject({ valid: false, keyed: true, unkeyed: 0 });
  });

  it('refuses to seal a new entry over a rewritten head, so the rewrite cannot be made to look sealed', async () => {
    const file = folder.file();
    await trail(file, KEY, 4);
    attack(file, (db) => rewriteFrom(db, 'org-acme', 3, (d, seq) => d.prepare("UPDATE audit_entries SET actor_id = 'ops:mallory' WHERE seq = ?").run(seq)));
    t = await serve(file, KEY);
    const before = await verify(t, 'org-acme');
    expect(before).toMatchObject({ valid: false, checked: 5, keyed: true });

    const res = await t.api().post('/api/agents').set(inOrg('org-acme')).send({ name: 'After', type: 'task' });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: 'Internal server error', code: 'INTERNAL_ERROR', status: 500 });
    expect((await t.api().get('/api/agents').set(inOrg('org-acme')).expect(200)).body).toEqual([]);
    expect(await verify(t, 'org-acme')).toEqual(before);
  });

  it('refuses the same while running, when the file is rewritten underneath it', async () => {
    const file = folder.file();
    await trail(file, KEY, 4);
    t = await serve(file, KEY);
    await t.api().post('/api/agents').set(inOrg('org-acme')).send({ name: 'Before', type: 'task' }).expect(201);
    attack(file, (db) => rewriteFrom(db, 'org-acme', 2, (d, seq) => d.prepare("UPDATE audit_entries SET result = 'tampered' WHERE seq = ?").run(seq)));
    expect((await t.api().post('/api/agents').set(inOrg('org-acme')).send({ name: 'After', type: 'task' })).status).toBe(500);
    expect(await verify(t, 'org-acme')).toMatchObject({ valid: false, checked: 6, keyed: true });
  });

  it("catches a changed seal at a chain's end; one changed alone in the middle changes nothing recorded and is not reported", async () => {
    for (const [position, valid] of [[10, false], [3, true]] as const) {
      const file = folder.file();
      await trail(file, KEY, 9);
      attack(file, (db) => db.prepare("UPDATE audit_entries SET seal = printf('%064d', 1) WHERE org_id = 'org-acme' AND chain_seq = ?").run(position));
      t = await serve(file, KEY);
      const id = sqliteOf(t).prepare("SELECT id FROM audit_entries WHERE org_id = 'org-acme' AND chain_seq = ?").pluck().get(position);
      expect(await verify(t, 'org-acme'), `seal of entry #${position}`).toEqual({ valid, checked: 10, brokenAt: valid ? null : id, keyed: true, unkeyed: 0 });
      t.close();
      t = undefined;
    }
  });

  it('checks entries written before the key was set without it, and counts them in unkeyed', async () => {
    const file = folder.file();
    await trail(file, undefined, 3);
    await trail(file, KEY, 2);
    t = await serve(file, KEY);
    expect(await verify(t, 'org-acme')).toEqual({ valid: true, checked: 6, brokenAt: null, keyed: true, unkeyed: 4 });
    await appendMany(t, 'default', 2);
    expect(await verify(t)).toMatchObject({ valid: true, checked: 8, keyed: true, unkeyed: 4 });

    // A change to an entry from before the key is still caught by its digest.
    t.close();
    attack(file, (db) => db.prepare("UPDATE audit_entries SET risk = 'critical' WHERE org_id = 'org-acme' AND chain_seq = 2").run());
    t = await serve(file, KEY);
    expect(await verify(t, 'org-acme')).toMatchObject({ valid: false, keyed: true, unkeyed: 4 });
  });

  it('after a key change counts the entries sealed with the old key as unkeyed; without a key, every entry', async () => {
    const file = folder.file();
    await trail(file, KEY, 2);
    await trail(file, OTHER_KEY, 3);
    t = await serve(file, OTHER_KEY);
    expect(await verify(t, 'org-acme')).toEqual({ valid: true, checked: 6, brokenAt: null, keyed: true, unkeyed: 3 });
    t.close();
    // The old key no longer seals this chain: none of its entries is checked with it.
    t = await serve(file, KEY);
    expect(await verify(t, 'org-acme')).toEqual({ valid: true, checked: 6, brokenAt: null, keyed: true, unkeyed: 6 });
    t.close();
    t = await serve(file);
    expect(await verify(t, 'org-acme')).toEqual({ valid: true, checked: 6, brokenAt: null, keyed: false, unkeyed: 6 });
  });

  it('after the key was unset for a while and set again, seals again from the next entry on', async () => {
    const file = folder.file();
    await trail(file, KEY, 2);
    await trail(file, undefined, 2);
    await trail(file, KEY, 2);
    t = await serve(file, KEY);
    expect(await verify(t, 'org-acme')).toEqual({ valid: true, checked: 7, brokenAt: null, keyed: true, unkeyed: 5 });
  });

  it('keeps a sealed chain valid through retention, and still catches a rewrite after it', async () => {
    const file = folder.file();
    t = await serve(file, KEY);
    await appendMany(t, 'default', 5);
    t.deps.clock.advance(400 * DAY);
    await appendMany(t, 'default', 4);
    expect((await t.services.audit.purgeOlderThan(365))).toEqual({ removed: 5, orgs: [{ orgId: 'default', removed: 5 }] });
    expect(await verify(t, 'default')).toEqual({ valid: true, checked: 4, brokenAt: null, keyed: true, unkeyed: 0 });
    await appendMany(t, 'default', 2);
    expect(await verify(t, 'default')).toEqual({ valid: true, checked: 6, brokenAt: null, keyed: true, unkeyed: 0 });
    const kept = await allEntries(t, 'default');
    t.close();

    attack(file, (db) => rewriteFrom(db, 'default', 7, (d, seq) => d.prepare("UPDATE audit_entries SET result = 'tampered' WHERE seq = ?").run(seq)));
    t = await serve(file, KEY);
    expect(await verify(t, 'default')).toEqual({ valid: false, checked: 6, brokenAt: kept[1]!.id, keyed: true, unkeyed: 0 });
  });

  it('shows a trail whose seals were all stripped as entirely unkeyed (a key cannot vouch for what it never saw)', async () => {
    const file = folder.file();
    await trail(file, KEY, 4);
    attack(file, (db) => db.exec("UPDATE audit_chains SET seal_key = NULL, seal_from = NULL WHERE org_id = 'org-acme'"));
    t = await serve(file, KEY);
    expect(await verify(t, 'org-acme')).toEqual({ valid: true, checked: 5, brokenAt: null, keyed: true, unkeyed: 5 });
  });
});
