import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { allEntries, appendMany } from '../helpers/audit.js';
import { attack, KEY, rewriteFrom, serve, tempFolder, verify } from './tamper-support.js';

// Where verify points when a chain breaks in more than one way at once, or far into a long
// chain: the first thing that went wrong, in chain order, whichever check finds it.

const folder = tempFolder();
afterAll(() => folder.remove());
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const DAY = 86_400_000;

/** n entries in `default` written by a server holding `key` (or none), then stopped; and their ids in chain order. */
async function written(n: number, key?: string, file = folder.file()): Promise<{ file: string; ids: string[] }> {
  const app = await serve(file, key);
  try {
    await appendMany(app, 'default', n);
    return { file, ids: (await allEntries(app, 'default')).map((e) => e.id as string) };
  } finally {
    await app.close();
  }
}

/** A copy of a stopped server's database file, to attack without touching the original. */
function copyOf(file: string): string {
  const copy = folder.file();
  for (const suffix of ['', '-wal', '-shm']) if (fs.existsSync(file + suffix)) fs.copyFileSync(file + suffix, copy + suffix);
  return copy;
}

const setSeal = (position: number) => `UPDATE audit_entries SET seal = printf('%064d', 7) WHERE org_id = 'default' AND chain_seq = ${position}`;
const editInPlace = (position: number) => `UPDATE audit_entries SET risk = 'critical', result = 'edited' WHERE org_id = 'default' AND chain_seq = ${position}`;

describe('GET /api/audit/verify: where a chain broken in several places breaks first', () => {
  it("answers invalid, pointing at the first entry, when the chain's own record was deleted and its entries remain", async () => {
    for (const key of [undefined, KEY]) {
      const { file, ids } = await written(4, key);
      attack(file, (db) => db.exec("DELETE FROM audit_chains WHERE org_id = 'default'"));
      t = await serve(file, key);
      expect(await verify(t, 'default'), `key: ${Boolean(key)}`).toEqual({ valid: false, checked: 4, brokenAt: ids[0], keyed: Boolean(key), unkeyed: 4 });
      await t.close();
      t = undefined;
    }
  });

  it('points at an entry edited in place, not at a seal changed alone before it', async () => {
    const { file, ids } = await written(10, KEY);
    attack(file, (db) => db.exec(`${setSeal(3)}; ${editInPlace(7)}`));
    t = await serve(file, KEY);
    expect(await verify(t, 'default')).toEqual({ valid: false, checked: 10, brokenAt: ids[6], keyed: true, unkeyed: 0 });
  });

  it('points at an entry edited in place, not at a seal changed right after it', async () => {
    const { file, ids } = await written(10, KEY);
    attack(file, (db) => db.exec(`${editInPlace(5)}; ${setSeal(6)}`));
    t = await serve(file, KEY);
    expect(await verify(t, 'default')).toEqual({ valid: false, checked: 10, brokenAt: ids[4], keyed: true, unkeyed: 0 });
  });

  it('points at the first sealed entry when its seal changed and the entry after it was edited in place', async () => {
    // Sealed from the first entry on, and sealed from the fourth after three written without the key.
    for (const unkeyedBefore of [0, 3]) {
      const file = folder.file();
      if (unkeyedBefore) await written(unkeyedBefore, undefined, file);
      const { ids } = await written(5, KEY, file);
      const first = unkeyedBefore + 1;
      attack(file, (db) => db.exec(`${setSeal(first)}; ${editInPlace(first + 1)}`));
      t = await serve(file, KEY);
      expect(await verify(t, 'default'), `${unkeyedBefore} unkeyed before`).toEqual({
        valid: false,
        checked: unkeyedBefore + 5,
        brokenAt: ids[first - 1],
        keyed: true,
        unkeyed: unkeyedBefore,
      });
      await t.close();
      t = undefined;
    }
  });

  it('points at the first entry after the retention anchor when it was edited in place, with the key set', async () => {
    const file = folder.file();
    t = await serve(file, KEY);
    await appendMany(t, 'default', 3);
    t.deps.clock.advance(400 * DAY);
    await appendMany(t, 'default', 4);
    expect(await t.services.audit.purgeOlderThan(365)).toMatchObject({ removed: 3 });
    const kept = await allEntries(t, 'default');
    await t.close();
    attack(file, (db) => db.exec(editInPlace(4)));
    t = await serve(file, KEY);
    expect(await verify(t, 'default')).toEqual({ valid: false, checked: 4, brokenAt: kept[0]!.id, keyed: true, unkeyed: 0 });
  });

  it('points at the newest entry when it was moved to another org and the recorded head was wound back without its hash', async () => {
    const { file, ids } = await written(7);
    t = await serve(file);
    await t.api().post('/api/orgs').send({ name: 'Other' }).expect(201);
    await t.close();
    attack(file, (db) => {
      db.prepare("UPDATE audit_entries SET org_id = 'org-other', chain_seq = 99 WHERE id = ?").run(ids[6]);
      db.exec("UPDATE audit_chains SET head_seq = 6 WHERE org_id = 'default'");
    });
    t = await serve(file);
    expect(await verify(t, 'default')).toEqual({ valid: false, checked: 6, brokenAt: ids[6], keyed: false, unkeyed: 6 });
  });
});

describe('GET /api/audit/verify: breaks past the first batch of a long chain', () => {
  // 4,000 sealed entries: two of verify's batches of 2,000.
  let long: { file: string; ids: string[] };
  beforeAll(async () => {
    long = await written(4_000, KEY);
  }, 120_000);

  it('points at the entry after a removed one, and not at anything in the batches after it', async () => {
    const file = copyOf(long.file);
    attack(file, (db) => db.prepare('DELETE FROM audit_entries WHERE id = ?').run(long.ids[2]));
    for (const key of [undefined, KEY]) {
      t = await serve(file, key);
      expect(await verify(t, 'default'), `key: ${Boolean(key)}`).toEqual({ valid: false, checked: 3_999, brokenAt: long.ids[3], keyed: Boolean(key), unkeyed: key ? 0 : 3_999 });
      await t.close();
      t = undefined;
    }
  });

  it('points at an entry edited in place in the second batch', async () => {
    const file = copyOf(long.file);
    attack(file, (db) => db.exec(editInPlace(3_000)));
    t = await serve(file, KEY);
    expect(await verify(t, 'default')).toEqual({ valid: false, checked: 4_000, brokenAt: long.ids[2_999], keyed: true, unkeyed: 0 });
  });

  it('points at the first entry of a rewrite that starts in the second batch, with the key; without it the rewrite is not seen', async () => {
    const file = copyOf(long.file);
    attack(file, (db) => rewriteFrom(db, 'default', 3_000, (d, seq) => d.prepare("UPDATE audit_entries SET result = 'rewritten' WHERE seq = ?").run(seq)));
    t = await serve(file, KEY);
    expect(await verify(t, 'default')).toEqual({ valid: false, checked: 4_000, brokenAt: long.ids[2_999], keyed: true, unkeyed: 0 });
    await t.close();
    t = await serve(file);
    expect(await verify(t, 'default')).toEqual({ valid: true, checked: 4_000, brokenAt: null, keyed: false, unkeyed: 4_000 });
  });
});
