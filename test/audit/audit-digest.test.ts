import { createHmac } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openDatabase } from '../../src/db/open.js';
import { chainDigest, encoding, ENCODING_SQL, type EncodedFields } from '../../src/audit/audit.digest.js';
import { chainHash } from '../../src/audit/audit.hash.js';
import { createSealer } from '../../src/audit/audit.seal.js';
import { ConfigError, loadConfig } from '../../src/config.js';

/** Verification reads the encoding SQLite builds (ENCODING_SQL); appends build it in JavaScript. */
const db = openDatabase(':memory:');
db.exec(`CREATE TABLE audit_entries (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, org_id TEXT NOT NULL, chain_seq INTEGER NOT NULL,
  risk TEXT NOT NULL, project_id TEXT, hash TEXT NOT NULL, timestamp TEXT NOT NULL, actor_type TEXT NOT NULL, actor_id TEXT NOT NULL,
  action TEXT NOT NULL, result TEXT NOT NULL, metadata TEXT NOT NULL)`);
const insert = db.prepare('INSERT INTO audit_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
const inSql = db.prepare(`SELECT ${ENCODING_SQL} FROM audit_entries WHERE seq = ?`).pluck();
const clear = db.prepare('DELETE FROM audit_entries');
afterAll(() => db.close());

function sqlEncoding(f: EncodedFields): string {
  clear.run();
  insert.run(f.seq, f.id, f.orgId, f.chainSeq, f.risk, f.projectId, f.hash, f.timestamp, f.actorType, f.actorId, f.action, f.result, f.metadataJson);
  return inSql.get(f.seq) as string;
}

const fields = (unit: 'grapheme' | 'binary') => {
  const text = fc.string({ unit, maxLength: 30 });
  const position = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
  return fc.record({
    id: text,
    orgId: text,
    seq: position,
    chainSeq: position,
    risk: text,
    projectId: fc.option(text, { nil: null }),
    hash: text,
    timestamp: text,
    actorType: text,
    actorId: text,
    action: text,
    result: text,
    metadataJson: text,
  });
};

/** Reads an encoding back into fields: it has one reading. */
function decode(encoded: string): EncodedFields {
  const b = Buffer.from(encoded, 'utf8');
  let at = 0;
  const number = (end: string): number => {
    const stop = b.indexOf(end, at);
    const n = Number(b.subarray(at, stop).toString());
    at = stop + 1;
    return n;
  };
  const text = (): string => {
    const n = number(':');
    return b.subarray(at, (at += n)).toString();
  };
  const [chainSeq, seq] = [number(','), number(',')];
  const [id, orgId, risk] = [text(), text(), text()];
  const projectId = b[at] === 0x7e ? (at++, null) : text();
  const [hash, timestamp, actorType, actorId, action, result, metadataJson] = Array.from({ length: 7 }, text) as [string, string, string, string, string, string, string];
  expect(at).toBe(b.length);
  return { id, orgId, seq, chainSeq, risk, projectId, hash, timestamp, actorType, actorId, action, result, metadataJson };
}

describe('digest encoding', () => {
  it('is the same string whether SQLite or JavaScript builds it (any Unicode text)', () => {
    fc.assert(
      fc.property(fields('grapheme'), (f) => {
        expect(sqlEncoding(f)).toBe(encoding(f));
      }),
      { numRuns: 400 },
    );
  });

  it('stays the same for text SQLite had to repair (lone surrogates are stored as U+FFFD)', () => {
    fc.assert(
      fc.property(fields('binary'), (f) => {
        expect(sqlEncoding(f)).toBe(encoding(f));
      }),
      { numRuns: 400 },
    );
  });

  it('has one reading: it decodes back to exactly the fields', () => {
    fc.assert(
      fc.property(fields('grapheme'), (f) => {
        expect(decode(encoding(f))).toEqual(f);
      }),
      { numRuns: 400 },
    );
  });

  const base: EncodedFields = {
    id: 'aud-1',
    orgId: 'org-acme',
    seq: 7,
    chainSeq: 3,
    risk: 'high',
    projectId: null,
    hash: 'sha256:x',
    timestamp: '2026-06-01T12:00:00.000Z',
    actorType: 'user',
    actorId: 'api',
    action: 'autonomy_change',
    result: 'completed',
    metadataJson: '{}',
  };
  const zeros = '0'.repeat(64);
  const digestOf = (f: EncodedFields, previousDigest = zeros) => chainDigest(previousDigest, encoding(f));

  it('tells a shifted boundary apart, though the documented hash cannot', () => {
    const shifted = { ...base, actorId: 'apiautonomy', action: '_change' };
    expect(chainHash(zeros, shifted)).toBe(chainHash(zeros, base));
    expect(digestOf(shifted)).not.toBe(digestOf(base));
  });

  it('tells a null project from an empty one, and chains from the previous digest', () => {
    const all = [digestOf(base), digestOf({ ...base, projectId: '' }), digestOf(base, '1'.repeat(64))];
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('seals', () => {
  it('are HMAC-SHA256 with the key over the previous seal and the digest, 64 zeros for the first', () => {
    const sealer = createSealer('k'.repeat(40));
    const digest = 'd'.repeat(64);
    const hmac = (m: string) => createHmac('sha256', 'k'.repeat(40)).update(m).digest('hex');
    expect(sealer.seal(null, digest)).toBe(hmac('0'.repeat(64) + digest));
    expect(sealer.seal('e'.repeat(64), digest)).toBe(hmac('e'.repeat(64) + digest));
  });

  it('name the key by an id that is stable, differs between keys, and is not the key', () => {
    const a = createSealer('a'.repeat(32));
    expect(a.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(createSealer('a'.repeat(32)).keyId).toBe(a.keyId);
    expect(createSealer('b'.repeat(32)).keyId).not.toBe(a.keyId);
  });
});

describe('AUDIT_HMAC_KEY', () => {
  it('is unset by default and when empty', () => {
    expect(loadConfig({}).AUDIT_HMAC_KEY).toBeUndefined();
    expect(loadConfig({ AUDIT_HMAC_KEY: '' }).AUDIT_HMAC_KEY).toBeUndefined();
    expect(loadConfig({ AUDIT_HMAC_KEY: 'x'.repeat(32) }).AUDIT_HMAC_KEY).toBe('x'.repeat(32));
  });

  it('refuses a key shorter than 32 characters in one line that names it and does not echo it', () => {
    const short = 'too-short-secret-31-characters!';
    expect(short).toHaveLength(31);
    let err: unknown;
    try {
      loadConfig({ AUDIT_HMAC_KEY: short });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe('Invalid configuration: AUDIT_HMAC_KEY must be at least 32 characters');
  });
});
