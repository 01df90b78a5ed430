import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sqliteOf, type TestApp } from '../helpers/app.js';
import { appendMany } from '../helpers/audit.js';
import { KEY, OTHER_KEY, serve, tempFolder } from './tamper-support.js';
import { asyncChainReads, createChainReadsSync } from '../../src/audit/audit.chain-reads.sqlite.js';
import type { ChainReads } from '../../src/audit/audit.repository.js';
import { verifyOrg } from '../../src/audit/audit.chain-check.js';
import { createSealer } from '../../src/audit/audit.seal.js';
import type { OrgVerification } from '../../src/audit/audit.schemas.js';

// An intact chain is settled by one read of each entry's encoding, plus its head (and the
// entry before it, for the seal): no entry-by-entry walk, no digest or seal read per entry.
// That is what keeps verifying a million entries at a few seconds. The answer must be the
// same as the walk's: these tests pin both, for every shape an intact chain can have.

const folder = tempFolder();
afterAll(() => folder.remove());
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const DAY = 86_400_000;
const PER_ENTRY = ['verifyBatch', 'digestBatch', 'sealBatch', 'appendedAround'];

/** verifyOrg over the app's database, and the reads it made (by name). */
async function check(app: TestApp, orgId: string, key?: string): Promise<{ answer: OrgVerification; reads: string[] }> {
  const real = asyncChainReads(createChainReadsSync(sqliteOf(app)));
  const reads: string[] = [];
  const counted = new Proxy(real, {
    get(target, name: string) {
      const fn = target[name as keyof ChainReads] as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        reads.push(name);
        return fn(...args);
      };
    },
  }) as ChainReads;
  const answer = await verifyOrg(counted, orgId, key ? createSealer(key) : undefined);
  return { answer, reads };
}

async function expectQuick(app: TestApp, orgId: string, key: string | undefined, answer: Omit<OrgVerification, 'orgId' | 'valid' | 'brokenAt'>) {
  const { answer: got, reads } = await check(app, orgId, key);
  expect(got).toEqual({ orgId, valid: true, brokenAt: null, ...answer });
  expect(reads).toContain('encodingBatch');
  expect(reads.filter((r) => PER_ENTRY.includes(r)), `reads: ${reads.join(', ')}`).toEqual([]);
}

describe('verify settles an intact chain with one pass over the encodings', async () => {
  it('for an org without entries, one with a few, and one over several batches', async () => {
    t = await serve(folder.file());
    await expectQuick(t, 'default', undefined, { checked: 0, unkeyed: 0 });
    await appendMany(t, 'default', 5);
    await expectQuick(t, 'default', undefined, { checked: 5, unkeyed: 5 });
    await appendMany(t, 'default', 4_000 - 5);
    await expectQuick(t, 'default', undefined, { checked: 4_000, unkeyed: 4_000 });
    await appendMany(t, 'default', 1);
    await expectQuick(t, 'default', undefined, { checked: 4_001, unkeyed: 4_001 });
  });

  it('for a sealed chain, from its first entry on, at one entry and at many', async () => {
    t = await serve(folder.file(), KEY);
    await appendMany(t, 'default', 1);
    await expectQuick(t, 'default', KEY, { checked: 1, unkeyed: 0 });
    await appendMany(t, 'default', 4);
    await expectQuick(t, 'default', KEY, { checked: 5, unkeyed: 0 });
  });

  it.each([
    ['written without a key', undefined],
    ['sealed with another key (a key change)', OTHER_KEY],
  ])('for a chain sealed from a later entry on, the entries before %s: the head is the first sealed entry, or one after it', async (_, before) => {
    const file = folder.file();
    t = await serve(file, before);
    await appendMany(t, 'default', 3);
    await t.close();
    t = await serve(file, KEY);
    await appendMany(t, 'default', 1);
    await expectQuick(t, 'default', KEY, { checked: 4, unkeyed: 3 });
    await appendMany(t, 'default', 1);
    await expectQuick(t, 'default', KEY, { checked: 5, unkeyed: 3 });
    // Without the key every entry is unkeyed, and still nothing is walked.
    await expectQuick(t, 'default', undefined, { checked: 5, unkeyed: 5 });
  });

  it('after retention moved the anchor: no entry left, one entry after it, several', async () => {
    for (const key of [undefined, KEY]) {
      t = await serve(folder.file(), key);
      await appendMany(t, 'default', 3);
      t.deps.clock.advance(400 * DAY);
      await t.services.audit.purgeOlderThan(365);
      await expectQuick(t, 'default', key, { checked: 0, unkeyed: 0 });
      await appendMany(t, 'default', 1);
      await expectQuick(t, 'default', key, { checked: 1, unkeyed: key ? 0 : 1 });
      await appendMany(t, 'default', 2);
      await expectQuick(t, 'default', key, { checked: 3, unkeyed: key ? 0 : 3 });
      await t.close();
    }
    t = undefined;
  });

  it('after retention removed part of the entries written before the key', async () => {
    const file = folder.file();
    t = await serve(file);
    await appendMany(t, 'default', 2);
    t.deps.clock.advance(400 * DAY);
    await appendMany(t, 'default', 2);
    await t.close();
    // A new app's test clock starts again from the same instant: move it past the entries above.
    t = await serve(file, KEY);
    t.deps.clock.advance(400 * DAY + 10 * 1234);
    await appendMany(t, 'default', 2);
    expect(await t.services.audit.purgeOlderThan(365)).toMatchObject({ removed: 2 });
    await expectQuick(t, 'default', KEY, { checked: 4, unkeyed: 2 });
  });
});
