import type { OrgScope } from '../http/org-scope.js';
import type { AuditSnapshotReader, ChainReads } from './audit.repository.js';
import type { Sealer } from './audit.seal.js';
import type { OrgVerification } from './audit.schemas.js';
import { verifyOrg } from './audit.chain-check.js';

export type Verification =
  | { valid: boolean; checked: number; brokenAt: string | null; keyed: boolean; unkeyed: number }
  | { valid: boolean; checked: number; keyed: boolean; unkeyed: number; orgs: OrgVerification[] };

/** The scoped org's chain. */
async function verifyOne(store: ChainReads, orgId: string, sealer?: Sealer): Promise<Verification> {
  const { valid, checked, brokenAt, unkeyed } = await verifyOrg(store, orgId, sealer);
  return { valid, checked, brokenAt, keyed: sealer !== undefined, unkeyed };
}

/**
 * Every org's chain (orgs without entries included, and orgs known only from a chain), by
 * id, with the sums. `keyed` says whether seals were checked (the key is the process's, so it
 * is said once); `unkeyed` counts, per org and in total, the checked entries no seal of the
 * key covers.
 */
async function verifyAll(store: ChainReads, orgIds: string[], sealer?: Sealer): Promise<Verification> {
  const orgs: OrgVerification[] = [];
  const ids = new Set([...orgIds, ...(await store.chains()).map((c) => c.orgId)]);
  for (const orgId of [...ids].sort()) orgs.push(await verifyOrg(store, orgId, sealer));
  const sum = (k: 'checked' | 'unkeyed') => orgs.reduce((n, o) => n + o[k], 0);
  return { valid: orgs.every((o) => o.valid), checked: sum('checked'), keyed: sealer !== undefined, unkeyed: sum('unkeyed'), orgs };
}

/**
 * GET /api/audit/verify without stopping the server: verification reads one snapshot of
 * the database (the engine's snapshot reader: appends and retention that commit meanwhile
 * are not seen, so the chain read is the chain as it was) in batches of 2,000 entries, giving
 * the event loop back after each. Verifications run one after another (each a snapshot and
 * a full read), each on a snapshot taken when it starts: when none is running, on the next
 * microtask, before any other request can run, so a caller always sees the writes it made
 * before asking.
 */
export function createVerifier({ snapshot, orgIds, sealer }: { snapshot: AuditSnapshotReader; orgIds: () => Promise<string[]>; sealer?: Sealer }) {
  let queue: Promise<unknown> = Promise.resolve();

  const once = async ({ orgId }: OrgScope): Promise<Verification> => {
    if (orgId) return snapshot.read((reads) => verifyOne(reads, orgId, sealer));
    const ids = await orgIds();
    return snapshot.read((reads) => verifyAll(reads, ids, sealer));
  };

  return (scope: OrgScope): Promise<Verification> => {
    const run = queue.then(() => once(scope));
    queue = run.catch(() => undefined);
    return run;
  };
}
