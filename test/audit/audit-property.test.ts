import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openTestDb } from '../helpers/deps.js';
import { ManualClock } from '../../src/clock.js';
import type { Db } from '../../src/db/open.js';
import { ACTOR_TYPES } from '../../src/audit/audit.schemas.js';
import { createAuditService, type AuditService } from '../../src/audit/audit.service.js';
import { sqliteEngineOver } from '../../src/db/sqlite/engine.js';
import { createSealer } from '../../src/audit/audit.seal.js';
import { KEY } from './tamper-support.js';

// Properties over whole trails: whatever entries were written, any single-byte change to any
// stored column of any one of them, made underneath the server, is found by verify and
// reported at that entry. (The digest and seal columns record nothing themselves: a change to
// one alone is caught at a chain's last entry only, see docs/audit.md, and has tests of its own.)

const ORGS = ['default', 'org-b'] as const;
const COLUMNS = ['id', 'org_id', 'seq', 'chain_seq', 'timestamp', 'actor_type', 'actor_id', 'action', 'result', 'metadata', 'hash', 'risk', 'project_id'];

const json = fc.jsonValue({ maxDepth: 2 }).map((v) => ({ v }));
const entry = fc.record({
  org: fc.constantFrom(...ORGS),
  actorType: fc.constantFrom(...ACTOR_TYPES),
  actorId: fc.string({ minLength: 1, maxLength: 12 }),
  action: fc.oneof(fc.constantFrom('autonomy_change', 'deploy', 'status', 'ci_event'), fc.string({ maxLength: 12 })),
  result: fc.constantFrom('completed', 'failed', 'processed'),
  metadata: json,
  projectId: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
});

type EntryInput = typeof entry extends fc.Arbitrary<infer T> ? T : never;

interface Change {
  victim: number;
  column: string;
  at: number;
  byte: number;
}

/** The audit service alone over a fresh in-memory database (hundreds of trails per property). */
async function write(entries: Array<EntryInput>, key: boolean): Promise<{ db: Db; audit: AuditService }> {
  const db = openTestDb();
  const engine = sqliteEngineOver(db);
  const clock = new ManualClock('2026-06-01T12:00:00.000Z');
  const audit = createAuditService({ uow: engine.uow, snapshot: engine.auditSnapshot, clock, orgIds: async () => [...ORGS], sealer: key ? createSealer(KEY) : undefined });
  for (const e of entries) {
    clock.advance(1000);
    await audit.append({ orgId: e.org, actorType: e.actorType, actorId: e.actorId, action: e.action, result: e.result, metadata: e.metadata, projectId: e.projectId });
  }
  return { db, audit };
}

/** Changes one byte of one stored value, as raw bytes; false when the database refuses it (a key collision, a non-integer rowid). */
function changeByte(db: Db, seq: number, c: Change): boolean {
  const raw = db.prepare(`SELECT CAST(${c.column} AS BLOB) FROM audit_entries WHERE seq = ?`).pluck().get(seq) as Buffer | null;
  if (raw === null || raw.length === 0) return false;
  const bytes = Buffer.from(raw);
  const i = c.at % bytes.length;
  bytes[i] = bytes[i] === c.byte ? (c.byte + 1) % 256 : c.byte;
  const integer = c.column === 'seq' || c.column === 'chain_seq';
  const value = integer && /^-?\d{1,15}$/.test(bytes.toString('latin1')) ? Number(bytes.toString('latin1')) : bytes;
  try {
    db.prepare(`UPDATE audit_entries SET ${c.column} = ${Buffer.isBuffer(value) ? 'CAST(? AS TEXT)' : '?'} WHERE seq = ?`).run(value, seq);
    return true;
  } catch {
    return false;
  }
}

async function detectsEveryByte(key: boolean, columns: string[]): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.array(entry, { minLength: 1, maxLength: 8 }),
      fc.record({ victim: fc.nat(), column: fc.constantFrom(...columns), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      async (entries, c) => {
        const { db, audit } = await write(entries, key);
        try {
          const victim = db.prepare('SELECT seq, id, org_id FROM audit_entries ORDER BY seq LIMIT 1 OFFSET ?').get(c.victim % entries.length) as { seq: number; id: string; org_id: string };
          db.exec('DROP TRIGGER audit_no_update');
          db.pragma('ignore_check_constraints = ON');
          fc.pre(changeByte(db, victim.seq, c));
          // The entry is named by the id it has now: the changed one when the id is what changed.
          const idNow = c.column === 'id' ? (db.prepare('SELECT id FROM audit_entries WHERE seq = ?').pluck().get(victim.seq) as string) : victim.id;
          expect(await audit.verify({ orgId: victim.org_id })).toMatchObject({ valid: false, brokenAt: idNow });
        } finally {
          db.close();
        }
      },
    ),
    { numRuns: 500 },
  );
}

describe('verify, over any trail', () => {
  it('finds any single-byte change to any stored column of any entry, at that entry', async () => {
    await detectsEveryByte(false, COLUMNS);
  }, 120_000);

  it('with AUDIT_HMAC_KEY, still at that entry', async () => {
    await detectsEveryByte(true, COLUMNS);
  }, 120_000);

  it('finds any shift of the boundary between two hashed fields, which leaves the documented hash as it was', async () => {
    const HASHED = ['timestamp', 'actor_type', 'actor_id', 'action', 'result', 'metadata'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { minLength: 1, maxLength: 6 }),
        fc.record({ victim: fc.nat(), left: fc.integer({ min: 0, max: 4 }), move: fc.integer({ min: -20, max: 20 }).filter((n) => n !== 0) }),
        async (entries, c) => {
          const { db, audit } = await write(entries, false);
          try {
            const victim = db.prepare('SELECT * FROM audit_entries ORDER BY seq LIMIT 1 OFFSET ?').get(c.victim % entries.length) as Record<string, string>;
            const [a, b] = [HASHED[c.left]!, HASHED[c.left + 1]!];
            const [x, y] = [[...victim[a]!], [...victim[b]!]];
            fc.pre(c.move > 0 ? x.length >= c.move : y.length >= -c.move);
            const [nx, ny] = c.move > 0 ? [x.slice(0, x.length - c.move), [...x.slice(x.length - c.move), ...y]] : [[...x, ...y.slice(0, -c.move)], y.slice(-c.move)];
            db.exec('DROP TRIGGER audit_no_update');
            db.pragma('ignore_check_constraints = ON');
            db.prepare(`UPDATE audit_entries SET ${a} = ?, ${b} = ? WHERE seq = ?`).run(nx.join(''), ny.join(''), victim.seq);
            const concat = (r: Record<string, string>) => HASHED.map((k) => r[k]).join('');
            expect(concat(db.prepare('SELECT * FROM audit_entries WHERE seq = ?').get(victim.seq) as Record<string, string>)).toBe(concat(victim));
            expect(await audit.verify({ orgId: victim.org_id! })).toMatchObject({ valid: false, brokenAt: victim.id });
          } finally {
            db.close();
          }
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);

  it('answers valid for every untouched trail', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 8 }), fc.boolean(), async (entries, key) => {
        const { db, audit } = await write(entries, key);
        try {
          for (const orgId of ORGS) expect(await audit.verify({ orgId })).toMatchObject({ valid: true, brokenAt: null, keyed: key });
        } finally {
          db.close();
        }
      }),
      { numRuns: 200 },
    );
  });
});
