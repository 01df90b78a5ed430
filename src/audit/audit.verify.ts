import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Db } from '../db/open.js';
import type { OrgScope } from '../http/org-scope.js';
import { chainHashOfBody, GENESIS_HASH, HASH_PREFIX, stripPrefix } from './audit.hash.js';
import { createAuditStore, type AuditStore } from './audit.store.js';
import type { OrgVerification } from './audit.schemas.js';

/** Entries read per batch; between batches an asynchronous verification lets other requests run. */
export const VERIFY_BATCH = 2_000;

/**
 * Walks one org's chain from its anchor, recomputing every hash (§5); yields after each
 * batch so the caller decides whether to let the event loop run in between.
 */
function* verifyOrg(store: AuditStore, orgId: string): Generator<void, OrgVerification> {
  const chain = store.chain(orgId);
  let previous = chain ? stripPrefix(chain.anchorHash) : GENESIS_HASH;
  let checked = 0;
  let brokenSeq: number | null = null;
  for (let after = -1; ; ) {
    const rows = store.verifyBatch(orgId, after, VERIFY_BATCH);
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
  const brokenAt = broken ? (store.idAt(orgId, brokenSeq!) ?? null) : null;
  // A chain whose newest entries were removed underneath us no longer ends at its head.
  const truncated = !broken && chain !== undefined && checked > 0 && stripPrefix(chain.headHash) !== previous;
  const emptied = chain !== undefined && checked === 0 && chain.headSeq !== chain.anchorSeq;
  return { orgId, valid: !broken && !truncated && !emptied, checked, brokenAt };
}

export type Verification =
  | { valid: boolean; checked: number; brokenAt: string | null }
  | { valid: boolean; checked: number; orgs: OrgVerification[] };

/** The scoped org's chain, or every org's (orgs without entries included) with the sum. */
function* verifyScope(store: AuditStore, scope: OrgScope, orgIds: () => string[]): Generator<void, Verification> {
  if (scope.orgId) {
    const { valid, checked, brokenAt } = yield* verifyOrg(store, scope.orgId);
    return { valid, checked, brokenAt };
  }
  const orgs: OrgVerification[] = [];
  const ids = new Set([...orgIds(), ...store.chains().map((c) => c.orgId)]);
  for (const orgId of [...ids].sort()) orgs.push(yield* verifyOrg(store, orgId));
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
export function createVerifier({ db, store, orgIds }: { db: Db; store: AuditStore; orgIds: () => string[] }) {
  let queue: Promise<unknown> = Promise.resolve();
  let pending = 0;

  async function onSnapshot(scope: OrgScope): Promise<Verification> {
    const conn = new Database(db.name, { readonly: true, fileMustExist: true });
    try {
      conn.pragma('busy_timeout = 5000');
      // The store's statements, prepared on this connection (only its reads are used).
      const steps = verifyScope(createAuditStore(conn), scope, orgIds);
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
    if (db.memory) return Promise.resolve(runToEnd(verifyScope(store, scope, orgIds)));
    // Nothing running: start now, so the snapshot is taken before this call returns.
    const run = pending === 0 ? onSnapshot(scope) : queue.then(() => onSnapshot(scope));
    pending++;
    queue = run.catch(() => undefined).finally(() => pending--);
    return run;
  };
}
