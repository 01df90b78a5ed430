import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openDatabase } from '../../src/db/open.js';
import { chainHash, chainHashOfBody, hashedBody, HASHED_BODY_SQL, type HashedFields } from '../../src/audit/audit.hash.js';

/** Verification hashes what SQLite concatenates (HASHED_BODY_SQL); appends hash what JS concatenates. */
const db = openDatabase(':memory:');
db.exec('CREATE TABLE entries (timestamp TEXT NOT NULL, actor_type TEXT NOT NULL, actor_id TEXT NOT NULL, action TEXT NOT NULL, result TEXT NOT NULL, metadata TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?) RETURNING rowid').pluck();
const inSql = db.prepare(`SELECT ${HASHED_BODY_SQL} FROM entries WHERE rowid = ?`).pluck();
const stored = db.prepare('SELECT timestamp, actor_type, actor_id, action, result, metadata FROM entries WHERE rowid = ?').raw(true);
afterAll(() => db.close());

const text = (unit: 'grapheme' | 'binary') => fc.string({ unit, maxLength: 40 });
const fields = (unit: 'grapheme' | 'binary') =>
  fc.record({ timestamp: text(unit), actorType: text(unit), actorId: text(unit), action: text(unit), result: text(unit), metadataJson: text(unit) });

function roundTrip(f: HashedFields): { sql: string; fields: HashedFields } {
  const rowid = insert.get(f.timestamp, f.actorType, f.actorId, f.action, f.result, f.metadataJson) as number;
  const [timestamp, actorType, actorId, action, result, metadataJson] = stored.get(rowid) as string[];
  return { sql: inSql.get(rowid) as string, fields: { timestamp, actorType, actorId, action, result, metadataJson } as HashedFields };
}

describe('hashed body', () => {
  it('is the same string whether SQLite or JS concatenates the fields (any Unicode text)', () => {
    fc.assert(
      fc.property(fields('grapheme'), (f) => {
        const { sql, fields: back } = roundTrip(f);
        expect(back).toEqual(f);
        expect(sql).toBe(hashedBody(f));
      }),
      { numRuns: 500 },
    );
  });

  it('matches what a reader of the stored fields would hash, even for text SQLite had to repair', () => {
    // Lone surrogates are not valid UTF-8: whatever SQLite stores, both sides hash the stored text.
    fc.assert(
      fc.property(fields('binary'), (f) => {
        const { sql, fields: back } = roundTrip(f);
        expect(sql).toBe(hashedBody(back));
      }),
      { numRuns: 500 },
    );
  });

  it('chains as §5 says: sha256 of the previous hex and the body', () => {
    const f: HashedFields = { timestamp: '2026-01-01T00:00:00.000Z', actorType: 'user', actorId: 'api', action: 'status', result: 'completed', metadataJson: '{}' };
    expect(chainHash('0'.repeat(64), f)).toBe(chainHashOfBody('0'.repeat(64), '2026-01-01T00:00:00.000Zuserapistatuscompleted{}'));
    expect(chainHashOfBody('0'.repeat(64), '')).toBe('60e05bd1b195af2f94112fa7197a5c88289058840ce7c6df9693756bc6250f55');
  });
});
