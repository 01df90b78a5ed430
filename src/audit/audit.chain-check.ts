import { chainHashOfBody, GENESIS_HASH, HASH_PREFIX, stripPrefix } from './audit.hash.js';
import { chainDigest, rowHeader } from './audit.digest.js';
import type { Sealer } from './audit.seal.js';
import type { AuditStore, ChainState } from './audit.store.js';
import type { OrgVerification } from './audit.schemas.js';

/** Entries read per batch; between batches an asynchronous verification lets other requests run. */
export const VERIFY_BATCH = 2_000;

/** How far around a hole in a chain verify looks for the entry that was moved out of it. */
const MOVED_SEARCH_LIMIT = 10_000;

/** Where a chain went wrong: an entry that fails a check, or a position whose entry is not there. */
type Break = { at: 'entry'; chainSeq: number } | { at: 'hole'; position: number; next: number | null } | { at: 'head' };

/** The link an entry leaves to the next: its position, hash hex, digest and seal, and the seal its own chains from. */
interface Link {
  seq: number;
  hash: string;
  digest: string;
  seal: string | null;
  sealBefore: string | null;
}

/**
 * Walks one org's chain from its anchor. Every entry, in chain order, must:
 * - sit at the next position, and not beyond the chain's recorded head;
 * - carry the documented hash, chained from the previous hash;
 * - carry the digest of every stored column, chained from the previous digest and seal.
 * The last entry must then be the recorded head (newest entries removed, or a tail rewritten
 * without updating the head, are caught here). With a key that the chain records as sealing
 * it from some entry on, the last entry's seal must check out; the append path never seals
 * over a head whose seal does not, so with every digest checked that vouches for the whole
 * sealed stretch, and its entries are not counted in `unkeyed`. Only when it fails are the
 * seals read one by one, to point at the first rewritten entry. Yields after each batch so
 * the caller decides whether to let the event loop run in between.
 */
export function* verifyOrg(store: AuditStore, orgId: string, sealer?: Sealer): Generator<void, OrgVerification> {
  const chain = store.chain(orgId);
  const anchorSeq = chain?.anchorSeq ?? 0;
  const headSeq = chain?.headSeq ?? 0;
  const sealFrom = sealer && chain?.sealKey === sealer.keyId && chain.sealFrom !== null ? chain.sealFrom : Infinity;
  const last: Link = anchorLink(chain);
  let checked = 0;
  let unkeyed = 0;
  let broken: Break | null = null;
  for (let after = -1; ; ) {
    const rows = store.verifyBatch(orgId, after, VERIFY_BATCH);
    checked += rows.length;
    for (const row of rows) if (row[0] < sealFrom) unkeyed++;
    if (broken === null) {
      for (const [chainSeq, body, hash, header, digest, seal] of rows) {
        if (chainSeq !== last.seq + 1) {
          broken = chainSeq > last.seq + 1 ? { at: 'hole', position: last.seq + 1, next: chainSeq } : { at: 'entry', chainSeq };
          break;
        }
        if (chainSeq > headSeq || hash !== HASH_PREFIX + chainHashOfBody(last.hash, body)) {
          broken = { at: 'entry', chainSeq };
          break;
        }
        if (digest !== chainDigest(last.digest, last.seal, orgId, chainSeq, hash, header, body)) {
          broken = { at: 'entry', chainSeq };
          break;
        }
        last.sealBefore = last.seal;
        last.seq = chainSeq;
        last.hash = stripPrefix(hash);
        last.digest = digest;
        last.seal = seal;
      }
    }
    if (rows.length < VERIFY_BATCH) break;
    after = rows[rows.length - 1]![0];
    yield;
  }
  if (broken === null && chain) {
    // Entries missing at the end (the newest removed, or all of them), or a head that is not
    // the last entry (the chain table edited, or a tail rewritten without updating it).
    const missingTail = last.seq < headSeq;
    const headMoved =
      !missingTail && (stripPrefix(chain.headHash) !== last.hash || chain.headDigest !== last.digest || chain.headSeal !== last.seal);
    if (missingTail) broken = { at: 'hole', position: last.seq + 1, next: null };
    else if (headMoved) broken = { at: 'head' };
  }
  // With the key: the last seal vouches for the sealed stretch. When it fails, or a check
  // without the key failed further on, the seals before say where a rewrite that recomputed
  // every hash and digest began (an earlier entry than the keyless checks can see).
  if (sealer && chain && last.seq >= Math.max(sealFrom, anchorSeq + 1) && (broken !== null || !sealHolds(sealer, sealFrom, last))) {
    const bad = yield* firstBadSeal(store, orgId, sealer, sealFrom, chain, last.seq);
    if (bad !== null) broken = { at: 'entry', chainSeq: bad };
  }
  const brokenAt = broken === null ? null : brokenEntry(store, orgId, broken, last);
  return { orgId, valid: broken === null, checked, brokenAt, unkeyed };
}

function anchorLink(chain: ChainState | undefined): Link {
  return {
    seq: chain?.anchorSeq ?? 0,
    hash: chain ? stripPrefix(chain.anchorHash) : GENESIS_HASH,
    digest: chain?.anchorDigest ?? GENESIS_HASH,
    seal: chain?.anchorSeal ?? null,
    sealBefore: null,
  };
}

/** Whether an entry's stored seal is the key's seal of its digest, chained as the append chained it. */
const sealHolds = (sealer: Sealer, sealFrom: number, link: Link): boolean =>
  link.seal === sealer.seal(link.seq === sealFrom ? null : link.sealBefore, link.digest);

/**
 * The first entry of the sealed stretch, up to `upTo`, whose seal does not check out. With
 * every digest checked up to there, entries before a rewrite keep their seals and every
 * entry from it on has a new digest, so this is where the rewrite starts.
 */
function* firstBadSeal(
  store: AuditStore,
  orgId: string,
  sealer: Sealer,
  sealFrom: number,
  chain: ChainState,
  upTo: number,
): Generator<void, number | null> {
  const from = Math.max(sealFrom, chain.anchorSeq + 1);
  let before = from === sealFrom ? null : chain.anchorSeal;
  for (let after = from - 1; ; ) {
    const rows = store.verifyBatch(orgId, after, VERIFY_BATCH);
    for (const [chainSeq, , , , digest, seal] of rows) {
      if (chainSeq > upTo) return null;
      if (seal !== sealer.seal(chainSeq === sealFrom ? null : before, digest)) return chainSeq;
      before = seal;
    }
    if (rows.length < VERIFY_BATCH) return null;
    after = rows[rows.length - 1]![0];
    yield;
  }
}

function brokenEntry(store: AuditStore, orgId: string, broken: Break, last: Link): string | null {
  if (broken.at === 'entry') return store.idAt(orgId, broken.chainSeq) ?? null;
  if (broken.at === 'head') return null;
  return movedEntry(store, orgId, broken.position, last) ?? (broken.next === null ? null : (store.idAt(orgId, broken.next) ?? null));
}

/**
 * The entry that belongs at `position` but was moved (its org or its position changed):
 * among the entries appended around that time, the one whose stored digest is the digest it
 * would have at this place. A removed entry is not found; the hole is then reported at the
 * entry after it.
 */
function movedEntry(store: AuditStore, orgId: string, position: number, last: Link): string | undefined {
  const candidates = store.appendedAround(store.seqBefore(orgId, position), store.seqAfter(orgId, position), MOVED_SEARCH_LIMIT);
  for (const c of candidates) {
    if (c.hash !== HASH_PREFIX + chainHashOfBody(last.hash, c.body)) continue;
    if (chainDigest(last.digest, last.seal, orgId, position, c.hash, rowHeader(c.fields), c.body) === c.digest) return c.fields.id;
  }
  return undefined;
}
