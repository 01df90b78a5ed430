import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Db } from '../db/open.js';
import type { OrgScope } from '../http/org-scope.js';
import { createChainReads, type ChainReads } from './audit.chain-store.js';
import type { Sealer } from './audit.seal.js';
import type { OrgVerification } from './audit.schemas.js';
import { verifyOrg } from './audit.chain-check.js';

export type Verification =
  | { valid: boolean; checked: number; brokenAt: string | null; keyed: boolean; unkeyed: number }
  | { valid: boolean; checked: number; keyed: boolean; unkeyed: number; orgs: OrgVerification[] };

/**
 * The scoped org's chain, or every org's (orgs without entries included) with the sums.
 * `keyed` says whether seals were checked (the key is the process's, so it is said once);
 * `unkeyed` counts, per org and in total, the checked entries no seal of the key covers.
 */
function* verifyScope(store: ChainReads, scope: OrgScope, orgIds: () => string[], sealer?: Sealer): Generator<void, Verification> {
  const keyed = sealer !== undefined;
  if (scope.orgId) {
    const { valid, checked, brokenAt, unkeyed } = yield* verifyOrg(store, scope.orgId, sealer);
    return { valid, checked, brokenAt, keyed, unkeyed };
  }
  const orgs: OrgVerification[] = [];
  const ids = new Set([...orgIds(), ...store.chains().map((c) => c.orgId)]);
  for (const orgId of [...ids].sort()) orgs.push(yield* verifyOrg(store, orgId, sealer));
  const sum = (k: 'checked' | 'unkeyed') => orgs.reduce((n, o) => n + o[k], 0);
  return { valid: orgs.every((o) => o.valid), checked: sum('checked'), keyed, unkeyed: sum('unkeyed'), orgs };
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
 * A million entries then take about 3 s (digests and seals included) without holding up
 * other requests for more than a batch. Verifications run one after another (each a connection and a full read), each on
 * a snapshot taken when it starts (at once when none is running), so a caller always sees
 * the writes it made before asking.
 * An in-memory database (tests, experiments) has no second connection: it is verified
 * synchronously on the main one.
 */
export function createVerifier({ db, reads, orgIds, sealer }: { db: Db; reads: ChainReads; orgIds: () => string[]; sealer?: Sealer }) {
  let queue: Promise<unknown> = Promise.resolve();
  let pending = 0;

  async function onSnapshot(scope: OrgScope): Promise<Verification> {
    // Stryker disable next-line BooleanLiteral: either flag alone refuses a missing file (a read-only open never creates one), and this connection only reads
    const conn = new Database(db.name, { readonly: true, fileMustExist: true });
    try {
      conn.pragma('busy_timeout = 5000');
      // The chain reads, prepared on this connection.
      const steps = verifyScope(createChainReads(conn), scope, orgIds, sealer);
      conn.exec('BEGIN');
      // The first batch runs before the first await: the snapshot is taken now. Closing the
      // connection ends the read transaction (an explicit COMMIT before it changed nothing).
      for (let step = steps.next(); ; step = steps.next()) {
        if (step.done) return step.value;
        await nextTurn();
      }
    } finally {
      conn.close();
    }
  }

  return (scope: OrgScope): Promise<Verification> => {
    if (db.memory) return Promise.resolve(runToEnd(verifyScope(reads, scope, orgIds, sealer)));
    // Nothing running: start now, so the snapshot is taken before this call returns.
    const run = pending === 0 ? onSnapshot(scope) : queue.then(() => onSnapshot(scope));
    pending++;
    queue = run.catch(() => undefined).finally(() => pending--);
    return run;
  };
}
