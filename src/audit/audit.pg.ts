import { arrays, exec, one, rows, scalar, stmt, type Queryable } from '../db/postgres/sql.js';
import { pgShapes } from '../db/postgres/shaped.js';
import type { AuditEntry } from './audit.schemas.js';
import { pastHeldWrites, writeOrHold, type HeldWrite } from '../db/postgres/held-writes.js';
import { AUDIT_ENTRY_ROW, headAfter, type NewEntryRow, type AuditFilter, type AuditRepository, type ChainLink, type ChainState } from './audit.repository.js';
import { CHAIN_STATE_COLUMNS, createChainReadsPg } from './audit.chain-reads.pg.js';

type EntryRow = Record<string, unknown>;
const stripSeq = ({ nextSeq: _, ...chain }: ChainState & { nextSeq?: number }): ChainState => chain;
const COLUMNS = AUDIT_ENTRY_ROW.select();
const toEntry = (r: EntryRow): AuditEntry => AUDIT_ENTRY_ROW.read(r);

/** First key of the two-key advisory lock of a chain ("AUDT"); the second is the org id's hash. */
const CHAIN_LOCK_SPACE = 0x41554454;

const NEXT_SEQ = "nextval(pg_get_serial_sequence('audit_entries', 'seq'))";

const S = {
  // The chain's row locked until the unit's COMMIT or ROLLBACK, and its head as it is once
  // locked (FOR UPDATE waits for a holder, then reads the row it committed).
  lockHead: stmt('audit:lockHead', `SELECT ${CHAIN_STATE_COLUMNS} FROM audit_chains WHERE org_id = $1 FOR UPDATE`),
  // The same with the next global seq in the same round trip. The outer SELECT runs only for a
  // row that passed the lock, so seqs are taken in the order appends hold the chain.
  lockHeadSeq: stmt(
    'audit:lockHeadSeq',
    `SELECT c.*, ${NEXT_SEQ} AS "nextSeq" FROM (SELECT ${CHAIN_STATE_COLUMNS} FROM audit_chains WHERE org_id = $1 FOR UPDATE) c`,
  ),
  // An org without a chain has no row to lock: its first appenders meet on this
  // transaction-scoped lock instead. Two org ids whose hashes collide only share a lock (one
  // waits for the other), never a chain.
  lock: stmt('audit:lock', 'SELECT pg_advisory_xact_lock($1, hashtext($2))'),
  // Sequence values only: they may go out ahead of the entries the unit holds (held-writes.ts).
  nextSeq: pastHeldWrites(stmt('audit:nextSeq', `SELECT ${NEXT_SEQ}`)),
  seqBlock: pastHeldWrites(stmt('audit:seqBlock', `SELECT ${NEXT_SEQ} FROM generate_series(1, $1)`)),
  // The entry, its chain's new head and its risk count in one round trip.
  insert: stmt(
    'audit:insert',
    `WITH e AS (
       INSERT INTO audit_entries (seq, id, org_id, chain_seq, timestamp, actor_type, actor_id, action, result, metadata, hash, risk, project_id, digest, seal)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     ), h AS (
       INSERT INTO audit_chains (org_id, head_hash, head_seq, head_digest, head_seal, head_prev_seal, anchor_hash, anchor_seq, anchor_digest, anchor_seal)
       VALUES ($3, $11, $4, $14, $15, $16, $17, 0, $18, NULL)
       ON CONFLICT (org_id) DO UPDATE SET
         head_hash = excluded.head_hash, head_seq = excluded.head_seq, head_digest = excluded.head_digest,
         head_seal = excluded.head_seal, head_prev_seal = excluded.head_prev_seal
     )
     INSERT INTO audit_risk_counts (org_id, risk, n) VALUES ($3, $12, 1)
     ON CONFLICT (org_id, risk) DO UPDATE SET n = audit_risk_counts.n + 1`,
  ),
  // Entries held back by a unit, in one round trip: the entries in append order, each chain's
  // last head among them, and the risk counts summed per org and risk (an upsert may touch a
  // row once per statement).
  insertMany: stmt(
    'audit:insertMany',
    `WITH e AS (
       INSERT INTO audit_entries (seq, id, org_id, chain_seq, timestamp, actor_type, actor_id, action, result, metadata, hash, risk, project_id, digest, seal)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                            $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
     ), h AS (
       INSERT INTO audit_chains (org_id, head_hash, head_seq, head_digest, head_seal, head_prev_seal, anchor_hash, anchor_seq, anchor_digest, anchor_seal)
       SELECT o, hh, hs, hd, hse, hps, $22, 0, $23, NULL
       FROM unnest($16::text[], $17::text[], $18::bigint[], $19::text[], $20::text[], $21::text[]) AS t(o, hh, hs, hd, hse, hps)
       ON CONFLICT (org_id) DO UPDATE SET
         head_hash = excluded.head_hash, head_seq = excluded.head_seq, head_digest = excluded.head_digest,
         head_seal = excluded.head_seal, head_prev_seal = excluded.head_prev_seal
     )
     INSERT INTO audit_risk_counts (org_id, risk, n) SELECT * FROM unnest($24::text[], $25::text[], $26::bigint[])
     ON CONFLICT (org_id, risk) DO UPDATE SET n = audit_risk_counts.n + excluded.n`,
  ),
  startSealing: stmt('audit:startSealing', 'UPDATE audit_chains SET seal_key = $1, seal_from = $2 WHERE org_id = $3'),
  riskAll: stmt('audit:riskAll', 'SELECT COALESCE(SUM(n), 0) FROM audit_risk_counts WHERE risk = $1'),
  riskOrg: stmt('audit:riskOrg', 'SELECT COALESCE(SUM(n), 0) FROM audit_risk_counts WHERE risk = $1 AND org_id = $2'),
  rangeDesc: stmt(
    'audit:rangeDesc',
    `SELECT ${COLUMNS} FROM audit_entries WHERE org_id = $1 AND chain_seq <= $2 AND chain_seq > $3 ORDER BY chain_seq DESC LIMIT $4`,
  ),
  rangeAsc: stmt(
    'audit:rangeAsc',
    `SELECT ${COLUMNS} FROM audit_entries WHERE org_id = $1 AND chain_seq > $2 AND chain_seq <= $3 ORDER BY chain_seq ASC LIMIT $4`,
  ),
  firstKept: stmt('audit:firstKept', 'SELECT MIN(chain_seq) FROM audit_entries WHERE org_id = $1 AND timestamp >= $2'),
  hashAt: stmt('audit:hashAt', 'SELECT hash FROM audit_entries WHERE org_id = $1 AND chain_seq = $2'),
  prefixRisks: stmt('audit:prefixRisks', 'SELECT risk, COUNT(*) AS n FROM audit_entries WHERE org_id = $1 AND chain_seq <= $2 GROUP BY risk'),
  afterAll: stmt('audit:afterAll', `SELECT seq, ${COLUMNS} FROM audit_entries WHERE seq > $1 ORDER BY seq LIMIT $2`),
  afterOrg: stmt('audit:afterOrg', `SELECT seq, ${COLUMNS} FROM audit_entries WHERE seq > $1 AND org_id = $2 ORDER BY seq LIMIT $3`),
  maxSeq: stmt('audit:maxSeq', 'SELECT COALESCE(MAX(seq), 0) FROM audit_entries'),
  gate: stmt('audit:gate', 'UPDATE audit_retention_gate SET open = $1 WHERE id = 1'),
  deleteBelow: stmt('audit:deleteBelow', 'DELETE FROM audit_entries WHERE org_id = $1 AND chain_seq <= $2'),
  uncount: stmt('audit:uncount', 'UPDATE audit_risk_counts SET n = n - $1 WHERE org_id = $2 AND risk = $3'),
  setAnchor: stmt(
    'audit:setAnchor',
    'UPDATE audit_chains SET anchor_hash = $1, anchor_digest = $2, anchor_seal = $3, anchor_seq = $4 WHERE org_id = $5',
  ),
};

const shapes = pgShapes<AuditFilter>(
  'audit:filtered',
  [
    ['orgId', (p) => `org_id = ${p}`],
    ['risk', (p) => `risk = ${p}`],
    ['action', (p) => `action = ${p}`],
    ['actorType', (p) => `actor_type = ${p}`],
    ['actorId', (p) => `actor_id = ${p}`],
    ['projectId', (p) => `project_id = ${p}`],
    ['since', (p) => `timestamp >= ${p}`],
    ['until', (p) => `timestamp <= ${p}`],
  ],
  // Within one org chain_seq is append order; across orgs the global seq is.
  (where, next, f, variant) =>
    variant === 'count'
      ? `SELECT COUNT(*) FROM audit_entries ${where}`
      : `SELECT ${COLUMNS} FROM audit_entries ${where} ORDER BY ${f.orgId ? 'chain_seq' : 'seq'} ${variant} LIMIT $${next} OFFSET $${next + 1}`,
);

interface HeldEntry {
  e: NewEntryRow;
  prevSeal: string | null;
  genesis: { hash: string; digest: string };
}

const entryValues = ({ e, prevSeal, genesis }: HeldEntry): unknown[] => [
  e.seq, e.id, e.orgId, e.chainSeq, e.timestamp, e.actorType, e.actorId, e.action, e.result, e.metadataJson, e.hash, e.risk,
  e.projectId, e.digest, e.seal, prevSeal, genesis.hash, genesis.digest,
];

/** Audit entries: one statement for one, another for many (held back by a unit). */
const ENTRIES: HeldWrite<HeldEntry> = {
  name: 'audit entries',
  values: entryValues,
  async write(q, held) {
    if (held.length === 1) return void (await exec(q, S.insert, entryValues(held[0]!)));
    const col = <T>(f: (e: NewEntryRow) => T): T[] => held.map((h) => f(h.e));
    const heads = new Map<string, HeldEntry>();
    const risks = new Map<string, { orgId: string; risk: string; n: number }>();
    for (const h of held) {
      heads.set(h.e.orgId, h);
      const key = `${h.e.orgId}\u0000${h.e.risk}`;
      const r = risks.get(key);
      if (r) r.n++;
      else risks.set(key, { orgId: h.e.orgId, risk: h.e.risk, n: 1 });
    }
    const last = [...heads.values()];
    const counts = [...risks.values()];
    await exec(q, S.insertMany, [
      col((e) => e.seq), col((e) => e.id), col((e) => e.orgId), col((e) => e.chainSeq), col((e) => e.timestamp),
      col((e) => e.actorType), col((e) => e.actorId), col((e) => e.action), col((e) => e.result), col((e) => e.metadataJson),
      col((e) => e.hash), col((e) => e.risk), col((e) => e.projectId), col((e) => e.digest), col((e) => e.seal),
      last.map((h) => h.e.orgId), last.map((h) => h.e.hash), last.map((h) => h.e.chainSeq), last.map((h) => h.e.digest),
      last.map((h) => h.e.seal), last.map((h) => h.prevSeal), held[0]!.genesis.hash, held[0]!.genesis.digest,
      counts.map((c) => c.orgId), counts.map((c) => c.risk), counts.map((c) => c.n),
    ]);
  },
};

/** The most global seqs one unit takes ahead in one round trip. */
const SEQ_BLOCK_MAX = 64;

/**
 * `inUnit`: bound to one unit of work's transaction, which ends whole (units have no
 * savepoints). Such an instance remembers the head of each chain it holds as its own appends
 * left it, so a second append to the same org reads nothing, and takes global seqs ahead in
 * blocks that double (2, 4, … 64), so an append rarely needs a round trip for its own. Seqs
 * are taken while the unit holds the unit-of-work lock, so they still follow commit order;
 * those left unused are gaps, which readers of the log take in their stride (positions are
 * compared, never counted).
 */
export function createAuditPg(q: Queryable, inUnit = false): AuditRepository {
  const reads = createChainReadsPg(q);
  const held = new Map<string, ChainState>();
  /** What lockChainToAppend last answered per org, for insert() to build the new head from. */
  const before = new Map<string, ChainState | undefined>();
  let ahead: number[] = [];
  let block = 1;
  async function takeSeq(): Promise<number> {
    if (ahead.length === 0) {
      // Ahead only inside a unit: a seq kept for later outside one could be used after others.
      block = inUnit ? Math.min(block * 2, SEQ_BLOCK_MAX) : 1;
      ahead = (await arrays<[number]>(q, S.seqBlock, [block])).map(([n]) => n).sort((a, b) => a - b);
    }
    return ahead.shift()!;
  }
  /** The head under the chain's lock; `withSeq`: the next seq too, when the chain exists. */
  async function lockHead(orgId: string, withSeq: boolean): Promise<(ChainState & { nextSeq?: number }) | undefined> {
    const locked = await one<ChainState & { nextSeq?: number }>(q, withSeq ? S.lockHeadSeq : S.lockHead, [orgId]);
    if (locked) return locked;
    await exec(q, S.lock, [CHAIN_LOCK_SPACE, orgId]);
    // Read again: a first appender that held the lock may have created the row meanwhile
    // (locked too, so an appender that finds the row from now on waits for this unit).
    return one<ChainState>(q, S.lockHead, [orgId]);
  }
  async function lockForAppend(orgId: string): Promise<{ chain: ChainState | undefined; seq: number }> {
    const known = held.get(orgId);
    if (known) return { chain: known, seq: await takeSeq() };
    if (ahead.length > 0) return { chain: await lockHead(orgId, false), seq: ahead.shift()! };
    const locked = await lockHead(orgId, true);
    if (locked?.nextSeq !== undefined) return { chain: stripSeq(locked), seq: locked.nextSeq };
    return { chain: locked, seq: await takeSeq() };
  }
  return {
    lockChain: (orgId) => lockHead(orgId, false),
    async lockChainToAppend(orgId) {
      const got = await lockForAppend(orgId);
      if (inUnit) before.set(orgId, got.chain);
      return got;
    },
    chain: reads.chain,
    chains: reads.chains,
    async insert(e, prevSeal, genesis) {
      // In a unit, held back and sent with the unit's other entries (held-writes.ts).
      await writeOrHold(q, ENTRIES, { e, prevSeal, genesis });
      if (!inUnit || !before.has(e.orgId)) return;
      held.set(e.orgId, headAfter(before.get(e.orgId), e, prevSeal, genesis));
      before.delete(e.orgId);
    },
    async startSealing(orgId, keyId, chainSeq) {
      await exec(q, S.startSealing, [keyId, chainSeq, orgId]);
      const known = held.get(orgId);
      if (known) held.set(orgId, { ...known, sealKey: keyId, sealFrom: chainSeq });
    },
    riskCount: async (orgId, risk) =>
      (orgId === null ? await scalar<number>(q, S.riskAll, [risk]) : await scalar<number>(q, S.riskOrg, [risk, orgId])) ?? 0,
    async chainPage(orgId, c: ChainState, offset, limit, order) {
      const r =
        order === 'desc'
          ? await rows<EntryRow>(q, S.rangeDesc, [orgId, c.headSeq - offset, c.anchorSeq, limit])
          : await rows<EntryRow>(q, S.rangeAsc, [orgId, c.anchorSeq + offset, c.headSeq, limit]);
      return r.map(toEntry);
    },
    async count(f) {
      const { stmt: s, values } = shapes(f, 'count');
      return (await scalar<number>(q, s, values)) ?? 0;
    },
    async page(f, offset, limit, order) {
      const { stmt: s, values } = shapes(f, order);
      return (await rows<EntryRow>(q, s, [...values, limit, offset])).map(toEntry);
    },
    async after(orgId, afterSeq, limit) {
      const got =
        orgId === null
          ? await rows<EntryRow & { seq: number }>(q, S.afterAll, [afterSeq, limit])
          : await rows<EntryRow & { seq: number }>(q, S.afterOrg, [afterSeq, orgId, limit]);
      return got.map(({ seq, ...r }) => ({ seq, entry: toEntry(r) }));
    },
    lastSeq: async () => (await scalar<number>(q, S.maxSeq)) ?? 0,
    firstKeptSeq: async (orgId, cutoff) => (await scalar<number | null>(q, S.firstKept, [orgId, cutoff])) ?? null,
    linkAt: reads.linkAt,
    hashAt: (orgId, chainSeq) => scalar<string>(q, S.hashAt, [orgId, chainSeq]),
    async deletePrefix(orgId, chainSeq, anchor: ChainLink) {
      // The anchor moves: the next append reads the head again (the lock is still this unit's).
      held.delete(orgId);
      const removed = await rows<{ risk: string; n: number }>(q, S.prefixRisks, [orgId, chainSeq]);
      // The gate opens inside this transaction only: other connections still meet it closed.
      await exec(q, S.gate, [1]);
      const n = await exec(q, S.deleteBelow, [orgId, chainSeq]);
      for (const r of removed) await exec(q, S.uncount, [r.n, orgId, r.risk]);
      await exec(q, S.setAnchor, [anchor.hash, anchor.digest, anchor.seal, chainSeq, orgId]);
      await exec(q, S.gate, [0]);
      return n;
    },
  };
}
