import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { allEntries, appendMany } from '../helpers/audit.js';
import { attack, KEY, serve, tempFolder, verify } from './tamper-support.js';
import { chainHash, HASH_PREFIX, stripPrefix } from '../../src/audit/audit.hash.js';
import { chainDigest, ENCODING_SQL } from '../../src/audit/audit.digest.js';

// Entries missing at the end of a chain, or a chain's recorded head that no longer matches
// its entries: no entry's own hash or digest is wrong, yet the trail is not what was written.

const folder = tempFolder();
afterAll(() => folder.remove());
let t: TestApp | undefined;
afterEach(() => t?.close());

const DAY = 86_400_000;

/** 6 entries in `default`, then the server stopped; with `retained`, retention first removed the oldest 3 and 4 more were appended. */
async function written(retained = false, key?: string): Promise<string> {
  const file = folder.file();
  const app = await serve(file, key);
  await appendMany(app, 'default', retained ? 3 : 6);
  if (retained) {
    app.deps.clock.advance(400 * DAY);
    await appendMany(app, 'default', 4);
    (await app.services.audit.purgeOlderThan(365));
  }
  app.close();
  return file;
}

const removeWhere = (file: string, where: string) => attack(file, (db) => db.exec(`DELETE FROM audit_entries WHERE ${where}`));

describe('GET /api/audit/verify: entries missing at the end, chain heads that moved', () => {
  it('answers invalid when the newest entries were removed', async () => {
    const file = await written();
    removeWhere(file, 'chain_seq > 4');
    t = await serve(file);
    expect(await verify(t, 'default')).toEqual({ valid: false, checked: 4, brokenAt: null, keyed: false, unkeyed: 4 });
  });

  it('answers invalid when the newest entries were removed after retention moved the anchor', async () => {
    const file = await written(true);
    t = await serve(file);
    expect(await verify(t, 'default')).toMatchObject({ valid: true, checked: 4 });
    t.close();
    removeWhere(file, 'chain_seq = 7');
    t = await serve(file);
    expect(await verify(t, 'default')).toEqual({ valid: false, checked: 3, brokenAt: null, keyed: false, unkeyed: 3 });
  });

  it('answers invalid when every entry was deleted though the chain records some', async () => {
    for (const retained of [false, true]) {
      const file = await written(retained);
      removeWhere(file, '1');
      t = await serve(file);
      expect(await verify(t, 'default'), `retained: ${retained}`).toEqual({ valid: false, checked: 0, brokenAt: null, keyed: false, unkeyed: 0 });
      expect(await verify(t)).toMatchObject({ valid: false, checked: 0, orgs: [{ orgId: 'default', valid: false, checked: 0, brokenAt: null }] });
      t.close();
      t = undefined;
    }
  });

  it('points at the newest entry, or the only one, when it was moved to another org rather than removed', async () => {
    for (const n of [6, 1]) {
      const file = folder.file();
      const app = await serve(file);
      await app.api().post('/api/orgs').send({ name: 'Other' }).expect(201);
      await appendMany(app, 'default', n);
      const moved = (await allEntries(app, 'default'))[n - 1]!;
      app.close();
      attack(file, (db) => db.prepare("UPDATE audit_entries SET org_id = 'org-other', chain_seq = 99 WHERE id = ?").run(moved.id));
      t = await serve(file);
      expect(await verify(t, 'default'), `${n} entries`).toEqual({ valid: false, checked: n - 1, brokenAt: moved.id, keyed: false, unkeyed: n - 1 });
      t.close();
      t = undefined;
    }
  });

  it('ends, pointing at the entry, when a position at the end of a batch of 2,000 was changed to something else than a number', async () => {
    const file = await written();
    t = await serve(file);
    await appendMany(t, 'default', 4000 - 6);
    const last = (await allEntries(t, 'default'))[3999]!;
    t.close();
    attack(file, (db) => db.prepare("UPDATE audit_entries SET chain_seq = '2000abc' WHERE id = ?").run(last.id));
    t = await serve(file);
    expect(await verify(t, 'default')).toMatchObject({ valid: false, checked: 4000, brokenAt: last.id });
  });

  it('answers invalid when every entry was deleted and the recorded head wound back to the anchor, but not its position', async () => {
    const file = await written(false, KEY);
    attack(file, (db) => {
      db.exec("DELETE FROM audit_entries WHERE org_id = 'default'");
      db.exec("UPDATE audit_chains SET head_hash = anchor_hash, head_digest = anchor_digest, head_seal = anchor_seal WHERE org_id = 'default'");
    });
    t = await serve(file, KEY);
    expect(await verify(t, 'default')).toEqual({ valid: false, checked: 0, brokenAt: null, keyed: true, unkeyed: 0 });
  });

  it('answers valid when retention itself removed every entry', async () => {
    t = await serve(folder.file());
    await appendMany(t, 'default', 3);
    t.deps.clock.advance(400 * DAY);
    expect((await t.services.audit.purgeOlderThan(365))).toMatchObject({ removed: 3 });
    expect(await verify(t, 'default')).toEqual({ valid: true, checked: 0, brokenAt: null, keyed: false, unkeyed: 0 });
    await appendMany(t, 'default', 2);
    expect(await verify(t, 'default')).toEqual({ valid: true, checked: 2, brokenAt: null, keyed: false, unkeyed: 2 });
  });

  it('points at an entry appended past the recorded head, even one whose hash and digest chain correctly', async () => {
    const file = await written();
    const forged = 'aud-forged-entry';
    attack(file, (db) => {
      const head = db.prepare("SELECT hash, digest FROM audit_entries WHERE org_id = 'default' AND chain_seq = 6").get() as { hash: string; digest: string };
      const f = { timestamp: '2026-06-02T00:00:00.000Z', actorType: 'user', actorId: 'ops:mallory', action: 'approve', result: 'completed', metadataJson: '{}' };
      const hash = HASH_PREFIX + chainHash(stripPrefix(head.hash), f);
      db.prepare(
        `INSERT INTO audit_entries (id, org_id, chain_seq, timestamp, actor_type, actor_id, action, result, metadata, hash, risk, project_id, digest)
         VALUES (?, 'default', 7, ?, ?, ?, ?, ?, ?, ?, 'medium', NULL, '')`,
      ).run(forged, f.timestamp, f.actorType, f.actorId, f.action, f.result, f.metadataJson, hash);
      const encoded = db.prepare(`SELECT ${ENCODING_SQL} FROM audit_entries WHERE id = ?`).pluck().get(forged) as string;
      db.prepare('UPDATE audit_entries SET digest = ? WHERE id = ?').run(chainDigest(head.digest, encoded), forged);
    });
    t = await serve(file);
    expect(await verify(t, 'default')).toEqual({ valid: false, checked: 7, brokenAt: forged, keyed: false, unkeyed: 7 });
  });

  it.each([
    ['head_hash', "'sha256:' || printf('%064d', 0)"],
    ['head_digest', "printf('%064d', 0)"],
    ['head_seal', "printf('%064d', 0)"],
  ])('answers invalid when the chain table\'s %s no longer matches the last entry', async (column, value) => {
    const file = await written(false, KEY);
    attack(file, (db) => db.exec(`UPDATE audit_chains SET ${column} = ${value} WHERE org_id = 'default'`));
    t = await serve(file, KEY);
    expect(await verify(t, 'default')).toEqual({ valid: false, checked: 6, brokenAt: null, keyed: true, unkeyed: 0 });
  });

  it('points at the entry after a removed middle one', async () => {
    const file = await written();
    t = await serve(file);
    const entries = await allEntries(t, 'default');
    t.close();
    removeWhere(file, `id = '${entries[2]!.id}'`);
    t = await serve(file);
    expect(await verify(t, 'default')).toMatchObject({ valid: false, checked: 5, brokenAt: entries[3]!.id });
  });
});
