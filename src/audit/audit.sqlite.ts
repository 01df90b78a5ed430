import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/open.js';
import { shapedStatements } from '../db/shaped.js';
import type { AuditEntry } from './audit.schemas.js';
import { createChainReadsSync } from './audit.chain-reads.sqlite.js';
import { AUDIT_ENTRY_ROW, headAfter, type AuditFilter, type AuditRepository, type ChainState } from './audit.repository.js';
import { openUnitEpoch } from '../db/sqlite/unit-epoch.js';

// Page reads use raw rows (arrays): better-sqlite3 builds arrays far faster than objects,
// and pages are the trail's hot path.
type EntryRow = unknown[];
const COLUMNS = AUDIT_ENTRY_ROW.select();
const toEntry = (r: EntryRow): AuditEntry => AUDIT_ENTRY_ROW.readArray(r);

export function createAuditSqlite(db: Db): AuditRepository {
  const chainReads = createChainReadsSync(db);
  const upsertHead = db.prepare(
    `INSERT INTO audit_chains (org_id, head_hash, head_seq, head_digest, head_seal, head_prev_seal, anchor_hash, anchor_seq, anchor_digest, anchor_seal)
     VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, NULL)
     ON CONFLICT (org_id) DO UPDATE SET
       head_hash = excluded.head_hash, head_seq = excluded.head_seq, head_digest = excluded.head_digest,
       head_seal = excluded.head_seal, head_prev_seal = excluded.head_prev_seal`,
  );
  // The digest covers seq, so it is chosen here rather than left to AUTOINCREMENT; the
  // sequence table holds the largest seq ever used, so this one is new.
  const lastSeq = db.prepare<[], number | null>("SELECT seq FROM sqlite_sequence WHERE name = 'audit_entries'").pluck();
  const insert = db.prepare(
    `INSERT INTO audit_entries (seq, id, org_id, chain_seq, timestamp, actor_type, actor_id, action, result, metadata, hash, risk, project_id, digest, seal)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const startSealing = db.prepare('UPDATE audit_chains SET seal_key = ?, seal_from = ? WHERE org_id = ?');
  const countRisk = db.prepare(
    'INSERT INTO audit_risk_counts (org_id, risk, n) VALUES (?, ?, 1) ON CONFLICT (org_id, risk) DO UPDATE SET n = n + 1',
  );
  const riskTotal = db.prepare<{ orgId: string | null; risk: string }>(
    'SELECT COALESCE(SUM(n), 0) FROM audit_risk_counts WHERE risk = @risk AND (@orgId IS NULL OR org_id = @orgId)',
  ).pluck();
  const prefixRisks = db.prepare<[string, number], { risk: string; n: number }>(
    'SELECT risk, COUNT(*) AS n FROM audit_entries WHERE org_id = ? AND chain_seq <= ? GROUP BY risk',
  );
  const uncountRisk = db.prepare('UPDATE audit_risk_counts SET n = n - ? WHERE org_id = ? AND risk = ?');
  const byChainRangeDesc = db
    .prepare<[string, number, number, number]>(
      `SELECT ${COLUMNS} FROM audit_entries WHERE org_id = ? AND chain_seq <= ? AND chain_seq > ? ORDER BY chain_seq DESC LIMIT ?`,
    )
    .raw(true);
  const byChainRangeAsc = db
    .prepare<[string, number, number, number]>(
      `SELECT ${COLUMNS} FROM audit_entries WHERE org_id = ? AND chain_seq > ? AND chain_seq <= ? ORDER BY chain_seq ASC LIMIT ?`,
    )
    .raw(true);
  const firstKeptSeq = db.prepare<[string, string], { seq: number | null }>(
    'SELECT MIN(chain_seq) AS seq FROM audit_entries WHERE org_id = ? AND timestamp >= ?',
  );
  const hashAt = db.prepare<[string, number], string>('SELECT hash FROM audit_entries WHERE org_id = ? AND chain_seq = ?').pluck();
  const deleteBelow = db.prepare('DELETE FROM audit_entries WHERE org_id = ? AND chain_seq <= ?');
  const setAnchor = db.prepare(
    'UPDATE audit_chains SET anchor_hash = @hash, anchor_digest = @digest, anchor_seal = @seal, anchor_seq = @chainSeq WHERE org_id = @orgId',
  );
  const afterAll = db.prepare<[number, number]>(`SELECT seq, ${COLUMNS} FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT ?`).raw(true);
  const afterOrg = db
    .prepare<[number, string, number]>(`SELECT seq, ${COLUMNS} FROM audit_entries WHERE seq > ? AND org_id = ? ORDER BY seq LIMIT ?`)
    .raw(true);
  const maxSeq = db.prepare<[], number | null>('SELECT MAX(seq) FROM audit_entries').pluck();
  const gate = db.prepare('UPDATE audit_retention_gate SET open = ? WHERE id = 1');

  const shapeFor = shapedStatements<AuditFilter, { count: Statement; page: Statement }>(
    [
      ['orgId', 'org_id = @orgId'],
      ['risk', 'risk = @risk'],
      ['action', 'action = @action'],
      ['actorType', 'actor_type = @actorType'],
      ['actorId', 'actor_id = @actorId'],
      ['projectId', 'project_id = @projectId'],
      ['since', 'timestamp >= @since'],
      ['until', 'timestamp <= @until'],
    ],
    (where, f, order) => ({
      count: db.prepare(`SELECT COUNT(*) FROM audit_entries ${where}`).pluck(),
      // Within one org chain_seq is append order; across orgs the global seq is.
      page: db.prepare(`SELECT ${COLUMNS} FROM audit_entries ${where} ORDER BY ${f.orgId ? 'chain_seq' : 'seq'} ${order} LIMIT @limit OFFSET @offset`).raw(true),
    }),
  );

  /**
   * What this unit's own appends left: the head of each chain it appends to (read once, then
   * kept current by its own inserts), and the next global seq. While a unit holds the connection in its transaction, nothing else writes to
   * the file (the connection is this process's only writer, and BEGIN IMMEDIATE keeps other
   * processes out), so a second append to the same org in the unit needs neither read.
   * Dropped when the unit ends (commit or rollback) or a write of it fails.
   */
  let held: { epoch: number; heads: Map<string, ChainState | undefined>; nextSeq?: number } | undefined;
  const heldNow = () => {
    const epoch = openUnitEpoch(db);
    if (epoch === undefined) return undefined;
    if (held?.epoch !== epoch) held = { epoch, heads: new Map() };
    return held;
  };

  return {
    // The unit of work runs one at a time on the one connection: the chain cannot fork.
    lockChain: async (orgId) => chainReads.chain(orgId),
    // These two answer at once: they are every append's path (see the interface).
    lockChainToAppend(orgId) {
      const unit = heldNow();
      if (!unit) return { chain: chainReads.chain(orgId), seq: (lastSeq.get() ?? 0) + 1 };
      // Read once per unit (undefined: no chain yet); the unit's own inserts keep it current.
      if (!unit.heads.has(orgId)) unit.heads.set(orgId, chainReads.chain(orgId));
      return { chain: unit.heads.get(orgId), seq: unit.nextSeq ?? (lastSeq.get() ?? 0) + 1 };
    },
    chain: async (orgId) => chainReads.chain(orgId),
    chains: async () => chainReads.chains(),
    insert(e, prevSeal, genesis) {
      const unit = heldNow();
      try {
        insert.run(e.seq, e.id, e.orgId, e.chainSeq, e.timestamp, e.actorType, e.actorId, e.action, e.result, e.metadataJson, e.hash, e.risk, e.projectId, e.digest, e.seal);
        upsertHead.run(e.orgId, e.hash, e.chainSeq, e.digest, e.seal, prevSeal, genesis.hash, genesis.digest);
        countRisk.run(e.orgId, e.risk);
      } catch (err) {
        held = undefined;
        throw err;
      }
      if (!unit || !unit.heads.has(e.orgId)) return;
      unit.heads.set(e.orgId, headAfter(unit.heads.get(e.orgId), e, prevSeal, genesis));
      unit.nextSeq = e.seq + 1;
    },
    async startSealing(orgId, keyId, chainSeq) {
      startSealing.run(keyId, chainSeq, orgId);
      const unit = heldNow();
      const known = unit?.heads.get(orgId);
      if (known) unit!.heads.set(orgId, { ...known, sealKey: keyId, sealFrom: chainSeq });
    },
    riskCount: async (orgId, risk) => riskTotal.get({ orgId, risk }) as number,
    async chainPage(orgId, c, offset, limit, order) {
      const rows =
        order === 'desc'
          ? byChainRangeDesc.all(orgId, c.headSeq - offset, c.anchorSeq, limit)
          : byChainRangeAsc.all(orgId, c.anchorSeq + offset, c.headSeq, limit);
      return (rows as EntryRow[]).map(toEntry);
    },
    async count(f) {
      const { statements, params } = shapeFor(f, 'desc');
      return statements.count.get(params) as number;
    },
    async page(f, offset, limit, order) {
      const { statements, params } = shapeFor(f, order);
      return (statements.page.all({ ...params, offset, limit }) as EntryRow[]).map(toEntry);
    },
    async after(orgId, afterSeq, limit) {
      const got = (orgId === null ? afterAll.all(afterSeq, limit) : afterOrg.all(afterSeq, orgId, limit)) as Array<[number, ...EntryRow]>;
      return got.map(([seq, ...rest]) => ({ seq, entry: toEntry(rest) }));
    },
    lastSeq: async () => maxSeq.get() ?? 0,
    firstKeptSeq: async (orgId, cutoff) => firstKeptSeq.get(orgId, cutoff)?.seq ?? null,
    linkAt: async (orgId, chainSeq) => chainReads.linkAt(orgId, chainSeq),
    hashAt: async (orgId, chainSeq) => hashAt.get(orgId, chainSeq),
    async deletePrefix(orgId, chainSeq, anchor) {
      // The anchor moves: the next append in this unit reads the head again.
      heldNow()?.heads.delete(orgId);
      const removedByRisk = prefixRisks.all(orgId, chainSeq);
      gate.run(1);
      try {
        const { changes } = deleteBelow.run(orgId, chainSeq);
        for (const r of removedByRisk) uncountRisk.run(r.n, orgId, r.risk);
        setAnchor.run({ ...anchor, chainSeq, orgId });
        return changes;
      } finally {
        gate.run(0);
      }
    },
  };
}
