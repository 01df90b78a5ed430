import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createPgStamp } from '../../src/db/postgres/stamp.js';
import { createPgSnapshotReader } from '../../src/db/postgres/snapshot.js';
import { createPostgresEngine, DatabaseUnreachableError } from '../../src/db/postgres/engine.js';
import { createChainReadsPg } from '../../src/audit/audit.chain-reads.pg.js';
import { encoding, type EncodedFields } from '../../src/audit/audit.digest.js';
import { createIdempotencyPg } from '../../src/idempotency/idempotency.pg.js';
import { createAuditPg } from '../../src/audit/audit.pg.js';
import { freePort } from '../reliability/server-process.js';
import { entrySql, migratedDatabase, onCleanup, pool } from './support.js';

describe('the change stamp', () => {
  it('moves when a writer that was in flight while the stamp and the data were read commits', async () => {
    const db = await migratedDatabase();
    const writerPool = pool(db.url);
    const readerPool = pool(db.url);
    const stamp = createPgStamp(readerPool);
    const writer = await writerPool.connect();
    onCleanup(async () => writer.release());
    await writer.query('BEGIN');
    await writer.query(entrySql('e1', 'default', 1));
    // The reader takes the stamp, then reads: the write is not visible yet.
    const before = await stamp.current();
    const seen = await readerPool.query('SELECT COUNT(*) AS n FROM audit_entries');
    expect(seen.rows[0].n).toBe(0);
    await writer.query('COMMIT');
    const after = await stamp.current();
    expect(after).not.toBe(before);
    expect((await readerPool.query('SELECT COUNT(*) AS n FROM audit_entries')).rows[0].n).toBe(1);
  });

  it('moves when a writer that had not yet written when the stamp was read commits', async () => {
    const db = await migratedDatabase();
    const writerPool = pool(db.url);
    const stamp = createPgStamp(pool(db.url));
    const writer = await writerPool.connect();
    onCleanup(async () => writer.release());
    await writer.query('BEGIN');
    const before = await stamp.current();
    await writer.query(entrySql('e1', 'default', 1));
    await writer.query('COMMIT');
    expect(await stamp.current()).not.toBe(before);
  });

  it('never comes back to a value it had before a commit', async () => {
    const db = await migratedDatabase();
    const p = pool(db.url);
    const stamp = createPgStamp(p);
    const seen = new Set<string>();
    for (let i = 1; i <= 20; i++) {
      const s = await stamp.current();
      await p.query(entrySql(`e${i}`, 'default', i));
      expect(seen.has(s)).toBe(false);
      seen.add(s);
    }
  });
});

describe('the chain lock', () => {
  /** Three units (a, b on one org, c on another) on one migrated database; `chain`: org-1 already has a chain. */
  async function units(chain: boolean) {
    const db = await migratedDatabase();
    const p = pool(db.url, 4);
    if (chain) await p.query("INSERT INTO audit_chains (org_id, head_hash, head_seq, anchor_hash, anchor_seq) VALUES ('org-1', 'h', 7, 'g', 0)");
    const [a, b, c] = [await p.connect(), await p.connect(), await p.connect()];
    onCleanup(async () => [a, b, c].forEach((x) => x.release()));
    for (const x of [a, b, c]) await x.query('BEGIN');
    const bPid = (await b.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    /** Until b is queued on a lock (seen by the server), not granted. */
    const bQueued = async () => {
      for (;;) {
        const { rows } = await p.query('SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND pid = $1', [bPid]);
        if (rows[0].n > 0) return;
      }
    };
    return { a, b, c, bQueued };
  }

  for (const chain of [false, true]) {
    it(`makes a second writer of the same org wait for the first one's commit, and no other org's (${chain ? 'a chain' : 'no chain yet'})`, async () => {
      const { a, b, c, bQueued } = await units(chain);
      expect((await createAuditPg(a).lockChain('org-1'))?.headSeq).toBe(chain ? 7 : undefined);
      let bLocked = false;
      const bWaits = createAuditPg(b)
        .lockChain('org-1')
        .then(() => (bLocked = true));
      // Another org's chain is free.
      await createAuditPg(c).lockChain('org-2');
      await bQueued();
      expect(bLocked).toBe(false);
      await a.query('COMMIT');
      await bWaits;
      expect(bLocked).toBe(true);
      await b.query('COMMIT');
      await c.query('COMMIT');
    });
  }

  it("takes an append's seq once the chain is held, so seqs follow the order appends hold their chains", async () => {
    const { a, b, c, bQueued } = await units(true);
    const first = await createAuditPg(a).lockChainToAppend('org-1');
    expect(first.chain?.headSeq).toBe(7);
    const second = createAuditPg(b).lockChainToAppend('org-1');
    await bQueued();
    // Taken while b waits: b's seq must come after it.
    const other = await createAuditPg(c).lockChainToAppend('org-2');
    expect(other.chain).toBeUndefined();
    // The head as the first holder left it.
    await a.query("UPDATE audit_chains SET head_seq = 8 WHERE org_id = 'org-1'");
    await a.query('COMMIT');
    const got = await second;
    expect(got.chain?.headSeq).toBe(8);
    expect([first.seq < other.seq, other.seq < got.seq]).toEqual([true, true]);
    await b.query('COMMIT');
    await c.query('COMMIT');
  });
});

describe('the snapshot reader', () => {
  it('reads the database as it was when verification started, whatever commits meanwhile', async () => {
    const db = await migratedDatabase();
    const p = pool(db.url);
    await p.query(entrySql('e1', 'default', 1));
    await p.query("INSERT INTO audit_chains (org_id, head_hash, head_seq, anchor_hash, anchor_seq) VALUES ('default', 'h', 1, 'g', 0)");
    const reader = createPgSnapshotReader(p);
    const result = await reader.read(async (reads) => {
      const first = await reads.chains();
      await p.query(entrySql('e2', 'default', 2));
      await p.query("UPDATE audit_chains SET head_seq = 2 WHERE org_id = 'default'");
      await p.query("INSERT INTO audit_chains (org_id, head_hash, head_seq, anchor_hash, anchor_seq) VALUES ('other', 'h', 1, 'g', 0)");
      return { first, second: await reads.chains(), batch: await reads.verifyBatch('default', 0, 10) };
    });
    expect(result.first).toEqual([{ orgId: 'default', count: 1 }]);
    expect(result.second).toEqual(result.first);
    expect(result.batch.map((r) => r[0])).toEqual([1]);
    expect(await createChainReadsPg(p).chains()).toEqual([
      { orgId: 'default', count: 2 },
      { orgId: 'other', count: 1 },
    ]);
  });
});

describe('the encoding the database builds', () => {
  it('is byte for byte the encoding computed in JavaScript, for any text', async () => {
    const db = await migratedDatabase();
    const p = pool(db.url);
    const reads = createChainReadsPg(p);
    // Any Unicode text PostgreSQL can store (no NUL character, no lone surrogate).
    const text = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\u0000'));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(text, text, text, fc.option(text, { nil: null }), async (actorId, action, meta, projectId) => {
        n++;
        const orgId = `org-${n}`;
        const f: EncodedFields = {
          id: `e${n}`, orgId, seq: n, chainSeq: 1, risk: 'low', projectId, hash: `sha256:${meta}`, timestamp: '2026-06-01T12:00:00.000Z',
          actorType: 'agent', actorId, action, result: 'completed', metadataJson: JSON.stringify({ meta }),
        };
        await p.query(
          `INSERT INTO audit_entries (seq, id, org_id, chain_seq, timestamp, actor_type, actor_id, action, result, metadata, hash, risk, project_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
          [f.seq, f.id, f.orgId, f.chainSeq, f.timestamp, f.actorType, f.actorId, f.action, f.result, f.metadataJson, f.hash, f.risk, f.projectId],
        );
        expect(await reads.encodingBatch(orgId, 0, 10)).toEqual([encoding(f)]);
      }),
      { numRuns: 60 },
    );
  });
});

describe('claims decided by unique keys', () => {
  it('give one idempotency claim to one of ten concurrent requests for a key', async () => {
    const db = await migratedDatabase();
    const p = pool(db.url, 10);
    const claim = { scope: 'default', key: 'k1', fingerprint: 'f', at: '2026-06-01T12:00:00.000Z', expiresAt: '2026-06-02T12:00:00.000Z' };
    const answers = await Promise.all(Array.from({ length: 10 }, () => createIdempotencyPg(p).claim(claim)));
    expect(answers.filter((a) => a === undefined)).toHaveLength(1);
    expect(answers.filter((a) => a?.state === 'in_progress')).toHaveLength(9);
  });

  it('replace an expired claim, and keep a live one', async () => {
    const db = await migratedDatabase();
    const repo = createIdempotencyPg(pool(db.url));
    const base = { scope: 's', key: 'k', fingerprint: 'f1', at: '2026-06-01T12:00:00.000Z', expiresAt: '2026-06-02T12:00:00.000Z' };
    expect(await repo.claim(base)).toBeUndefined();
    await repo.complete('s', 'k', 201, '{"a":1}');
    expect(await repo.claim({ ...base, fingerprint: 'f2', at: '2026-06-01T13:00:00.000Z' })).toEqual({
      fingerprint: 'f1', state: 'completed', status: 201, body: '{"a":1}', expiresAt: '2026-06-02T12:00:00.000Z',
    });
    expect(await repo.claim({ ...base, fingerprint: 'f3', at: '2026-06-02T12:00:00.000Z', expiresAt: '2026-06-03T12:00:00.000Z' })).toBeUndefined();
    expect((await repo.get('s', 'k'))?.fingerprint).toBe('f3');
  });
});

describe('the engine at start-up', () => {
  it('gives up on an unreachable server after its attempts, naming where it looked but not the password', async () => {
    const port = await freePort();
    const err = await createPostgresEngine({ url: `postgres://app:s3cret@127.0.0.1:${port}/codespar`, poolMax: 2, connectAttempts: 2 }).catch((e) => e);
    expect(err).toBeInstanceOf(DatabaseUnreachableError);
    expect(err.message).toMatch(new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${port}/codespar is unreachable after 2 attempts: `));
    expect(err.message).not.toContain('s3cret');
  });

  it('opens a migrated database without migrating, and one engine per process can share it', async () => {
    const db = await migratedDatabase();
    const one = await createPostgresEngine({ url: db.url, poolMax: 2 });
    onCleanup(() => one.close());
    const two = await createPostgresEngine({ url: db.url, poolMax: 2 });
    onCleanup(() => two.close());
    expect([one.kind, one.migrated, two.migrated]).toEqual(['postgres', [], []]);
    await one.repos.orgs.insert({ id: 'acme', name: 'Acme', slug: 'acme', createdAt: '2026-06-01T12:00:00.000Z' });
    expect(await two.repos.orgs.ids()).toEqual(['acme', 'default']);
  });
});
