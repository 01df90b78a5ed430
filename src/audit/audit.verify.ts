import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Db } from '../db/open.js';
import type { OrgScope } from '../http/org-scope.js';
import { chainHashOfBody, GENESIS_HASH, HASHED_BODY_SQL, HASH_PREFIX, stripPrefix } from './audit.hash.js';
import type { OrgVerification } from './audit.schemas.js';

/** Entries read per batch; between batches an asynchronous verification lets other requests run. */
export const VERIFY_BATCH = 2_000;

/** What verification reads of an entry (raw rows, no objects): its chain position, hashed body and stored hash. */
type VerifyRow = [chainSeq: number, hashedBody: string, hash: string];

/** The statements verification needs, prepared on whichever connection reads the chain. */
function chainReader(db: Db) {
  const chain = db.prepare<[string], { head_hash: string; head_seq: number; anchor_hash: string; anchor_seq: number }>(
    'SELECT head_hash, head_seq, anchor_hash, anchor_seq FROM audit_chains WHERE org_id = ?',
  );
  const chainOrgs = db.prepare<[], string>('SELECT org_id FROM audit_chains').pluck();
  const rows = db
    .prepare<[string, number, number]>(
      `SELECT chain_seq, ${HASHED_BODY_SQL}, hash FROM audit_entries WHERE org_id = ? AND chain_seq > ? ORDER BY chain_seq LIMIT ?`,
    )
    .raw(true);
  const idAt = db.prepare<[string, number], string>('SELECT id FROM audit_entries WHERE org_id = ? AND chain_seq = ?').pluck();
  return {
    chain: (orgId: string) => chain.get(orgId),
    chainOrgs: (): string[] => chainOrgs.all(),
    /** One org's entries in chain order, one batch (read with all(), about twice as fast as iterate()) at a time. */
    batch: (orgId: string, afterSeq: number): VerifyRow[] => rows.all(orgId, afterSeq, VERIFY_BATCH) as VerifyRow[],
    idAt: (orgId: string, chainSeq: number): string | undefined => idAt.get(orgId, chainSeq),
  };
}
type ChainReader = ReturnType<typeof chainReader>;

/**
 * Walks one org's chain from its anchor, recomputing every hash (§5); yields after each
 * batch so the caller decides whether to let the event loop run in between.
 */
function* verifyOrg(reader: ChainReader, orgId: string): Generator<void, OrgVerification> {
  const chain = reader.chain(orgId);
  let previous = chain ? stripPrefix(chain.anchor_hash) : GENESIS_HASH;
  let checked = 0;
  let brokenSeq: number | null = null;
  for (let after = -1; ; ) {
    const rows = reader.batch(orgId, after);
    checked += rows.length;
    if (brokenSeq === null) {
      for (const [chainSeq, body, hash] of rows) {
        if (hash !== HASH_PREFIX + chainHashOfBody(previous, body)) {
          brokenSeq = chainSeq;
          break;
        }
        previous = stripPrefix(hash);
      }
    }
    if (rows.length < VERIFY_BATCH) break;
    after = rows[rows.length - 1]![0];
    yield;
  }
  const broken = brokenSeq !== null;
  const brokenAt = broken ? (reader.idAt(orgId, brokenSeq!) ?? null) : null;
  // A chain whose newest entries were removed underneath us no longer ends at its head.
  const truncated = !broken && chain !== undefined && checked > 0 && stripPrefix(chain.head_hash) !== previous;
  const emptied = chain !== undefined && checked === 0 && chain.head_seq !== chain.anchor_seq;
  return { orgId, valid: !broken && !truncated && !emptied, checked, brokenAt };
}

export type Verification =
  | { valid: boolean; checked: number; brokenAt: string | null }
  | { valid: boolean; checked: number; orgs: OrgVerification[] };

/** The scoped org's chain, or every org's (orgs without entries included) with the sum. */
function* verifyScope(reader: ChainReader, scope: OrgScope, orgIds: () => string[]): Generator<void, Verification> {
  if (scope.orgId) {
    const { valid, checked, brokenAt } = yield* verifyOrg(reader, scope.orgId);
    return { valid, checked, brokenAt };
  }
  const orgs: OrgVerification[] = [];
  for (const orgId of [...new Set([...orgIds(), ...reader.chainOrgs()])].sort()) orgs.push(yield* verifyOrg(reader, orgId));
  return { valid: orgs.every((o) => o.valid), checked: orgs.reduce((n, o) => n + o.checked, 0), orgs };
}

function runToEnd<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * GET /api/audit/verify without stopping the server: over a database file, verification
 * reads through a read-only connection of its own, inside one read transaction (a WAL
 * snapshot: appends and retention that commit meanwhile are not seen, so the chain read is
 * the chain as it was), and gives the event loop back after every batch of 2,000 entries.
 * A million entries then take about 3 s without holding up other requests for more than a
 * batch. Verifications run one after another (each a connection and a full read), each on
 * a snapshot taken when it starts (at once when none is running), so a caller always sees
 * the writes it made before asking.
 * An in-memory database (tests, experiments) has no second connection: it is verified
 * synchronously on the main one.
 */
export function createVerifier({ db, orgIds }: { db: Db; orgIds: () => string[] }) {
  const inline = chainReader(db);
  let queue: Promise<unknown> = Promise.resolve();
  let pending = 0;

  async function onSnapshot(scope: OrgScope): Promise<Verification> {
    const conn = new Database(db.name, { readonly: true, fileMustExist: true });
    try {
      conn.pragma('busy_timeout = 5000');
      const steps = verifyScope(chainReader(conn), scope, orgIds);
      conn.exec('BEGIN');
      try {
        // The first batch runs before the first await: the snapshot is taken now.
        for (let step = steps.next(); ; step = steps.next()) {
          if (step.done) return step.value;
          await nextTurn();
        }
      } finally {
        conn.exec('COMMIT');
      }
    } finally {
      conn.close();
    }
  }

  return (scope: OrgScope): Promise<Verification> => {
    if (db.memory) return Promise.resolve(runToEnd(verifyScope(inline, scope, orgIds)));
    // Nothing running: start now, so the snapshot is taken before this call returns.
    const run = pending === 0 ? onSnapshot(scope) : queue.then(() => onSnapshot(scope));
    pending++;
    queue = run.catch(() => undefined).finally(() => pending--);
    return run;
  };
}
