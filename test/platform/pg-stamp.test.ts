import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createPgStamp } from '../../src/db/postgres/stamp.js';

/**
 * The PostgreSQL change stamp's sharing of round trips, over a stand-in for the pool whose
 * snapshot reads the test answers one by one (the stamp's own meaning is tested against a
 * real server in test/pg/ports.test.ts).
 */
function fakePool() {
  const reads: Array<{ answer: (v: string) => void; fail: (e: Error) => void }> = [];
  const pool = {
    query: () =>
      new Promise((resolve, reject) => {
        reads.push({ answer: (v) => resolve({ rows: [[v]] }), fail: reject });
      }),
  } as unknown as Pick<pg.Pool, 'query'>;
  return { pool, reads };
}
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('PostgreSQL change stamp', () => {
  it('answers each caller from a read that began after it asked, sharing one read among those who asked meanwhile', async () => {
    const { pool, reads } = fakePool();
    const stamp = createPgStamp(pool);
    const first = stamp.current();
    expect(reads).toHaveLength(1);
    const later = [stamp.current(), stamp.current(), stamp.current()];
    await turn();
    // They asked while the first read was in flight: none of them may take its answer.
    expect(reads).toHaveLength(1);
    reads[0]!.answer('s1');
    expect(await first).toBe('s1');
    await turn();
    expect(reads).toHaveLength(2);
    reads[1]!.answer('s2');
    expect(await Promise.all(later)).toEqual(['s2', 's2', 's2']);
    // Nothing in flight: the next caller starts a read of its own.
    const next = stamp.current();
    expect(reads).toHaveLength(3);
    reads[2]!.answer('s3');
    expect(await next).toBe('s3');
  });

  it('hands a failed read to its callers only, and reads again for the next', async () => {
    const { pool, reads } = fakePool();
    const stamp = createPgStamp(pool);
    const first = stamp.current();
    const joined = stamp.current();
    reads[0]!.fail(new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    await turn();
    reads[1]!.fail(new Error('still down'));
    await expect(joined).rejects.toThrow('still down');
    const after = stamp.current();
    reads[2]!.answer('back');
    expect(await after).toBe('back');
  });
});
