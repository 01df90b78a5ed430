import { GENESIS_HASH, HASH_PREFIX } from './audit.hash.js';
import { chainDigest, encoding } from './audit.digest.js';
import type { Sealer } from './audit.seal.js';
import type { ChainReads, ChainState } from './audit.chain-store.js';
import type { OrgVerification } from './audit.schemas.js';

/** Entries read per batch; between batches an asynchronous verification lets other requests run. */
export const VERIFY_BATCH = 2_000;

/** How far around a hole in a chain verify looks for the entry that was moved out of it. */
const MOVED_SEARCH_LIMIT = 10_000;

/** Where a chain went wrong: an entry that fails a check (by seq), a position whose entry is not there, or its head. */
type Break = { at: 'entry'; seq: number } | { at: 'hole'; position: number; next: number | null } | { at: 'head' };

/** The last entry checked (or the anchor): its position and what the next one chains from (its stored hash and digest). */
interface Last {
  chainSeq: number;
  hash: string;
  digest: string;
}

/**
 * Walks one org's chain from its anchor. Every entry, in chain order, must sit at the next
 * position, not beyond the chain's recorded head, and carry the digest of all its stored
 * columns chained from the previous digest and hash. The digest binds the documented hash
 * and what it is computed from (the six fields and the previous hash), so recomputing the
 * hash as well would add nothing: a change that breaks it breaks the digest of the same
 * entry. The last entry must then be the recorded head (newest entries removed, or a tail rewritten
 * without updating the head, are caught here). With a key the chain records as sealing it
 * from some entry on, the last entry's seal must check out: the append path never seals over
 * a head whose seal does not, so with every digest checked that one seal vouches for the
 * whole sealed stretch, whose entries are not counted in `unkeyed`. Seals are read one by one
 * only when something failed, to point at the first entry of a rewrite that recomputed every
 * hash and digest. Yields after each batch so the caller decides whether to let the event
 * loop run in between.
 */
export function* verifyOrg(store: ChainReads, orgId: string, sealer?: Sealer): Generator<void, OrgVerification> {
  const chain = store.chain(orgId);
  const anchorSeq = chain?.anchorSeq ?? 0;
  const headSeq = chain?.headSeq ?? 0;
  const sealFrom = sealer && chain?.sealKey === sealer.keyId && chain.sealFrom !== null ? chain.sealFrom : Infinity;
  const last: Last = { chainSeq: anchorSeq, hash: chain?.anchorHash ?? HASH_PREFIX + GENESIS_HASH, digest: chain?.anchorDigest ?? GENESIS_HASH };
  let checked = 0;
  let unkeyed = 0;
  let broken: Break | null = null;
  for (let after = -1; ; ) {
    const rows = store.verifyBatch(orgId, after, VERIFY_BATCH);
    checked += rows.length;
    for (const row of rows) if (row[0] < sealFrom) unkeyed++;
    if (broken === null) {
      for (const [chainSeq, seq, hash, encoded, digest] of rows) {
        if (chainSeq !== last.chainSeq + 1) {
          // A later position: entries are missing here. Anything else (an earlier position, or
          // a value that is no position at all) is a changed entry.
          const hole = typeof chainSeq === 'number' && chainSeq > last.chainSeq + 1;
          broken = hole ? { at: 'hole', position: last.chainSeq + 1, next: chainSeq } : { at: 'entry', seq };
          break;
        }
        if (chainSeq > headSeq || digest !== chainDigest(last.digest, last.hash, encoded)) {
          broken = { at: 'entry', seq };
          break;
        }
        last.chainSeq = chainSeq;
        last.hash = hash;
        last.digest = digest;
      }
    }
    if (rows.length < VERIFY_BATCH) break;
    after = rows[rows.length - 1]![0];
    yield;
  }
  const lastSeal = chain === undefined || last.chainSeq === anchorSeq ? (chain?.anchorSeal ?? null) : store.sealAt(orgId, last.chainSeq);
  if (broken === null && chain) {
    // Entries missing at the end (the newest removed, or all of them), or a head that is not
    // the last entry (the chain table edited, or a tail rewritten without updating it).
    const missingTail = last.chainSeq < headSeq;
    const headMoved = !missingTail && (chain.headHash !== last.hash || chain.headDigest !== last.digest || chain.headSeal !== lastSeal);
    if (missingTail) broken = { at: 'hole', position: last.chainSeq + 1, next: null };
    else if (headMoved) broken = { at: 'head' };
  }
  // With the key: the last seal vouches for the sealed stretch. When it fails, or a check
  // without the key failed further on, the seals before say where a rewrite that recomputed
  // every hash and digest began (an earlier entry than the keyless checks can see).
  if (sealer && chain && last.chainSeq >= Math.max(sealFrom, anchorSeq + 1)) {
    const before = last.chainSeq === sealFrom ? null : last.chainSeq - 1 === anchorSeq ? chain.anchorSeal : store.sealAt(orgId, last.chainSeq - 1);
    if (broken !== null || lastSeal !== sealer.seal(before, last.digest)) {
      const bad = yield* firstBadSeal(store, orgId, sealer, sealFrom, chain, last.chainSeq);
      if (bad !== null) broken = { at: 'entry', seq: bad };
    }
  }
  const brokenAt = broken === null ? null : brokenEntry(store, orgId, broken, last);
  return { orgId, valid: broken === null, checked, brokenAt, unkeyed };
}

/**
 * The first entry (its seq) of the sealed stretch, up to `upTo`, whose seal does not check out.
 * With every digest checked up to there, entries before a rewrite keep their seals and every
 * entry from it on has a new digest, so this is where the rewrite starts.
 */
function* firstBadSeal(
  store: ChainReads,
  orgId: string,
  sealer: Sealer,
  sealFrom: number,
  chain: ChainState,
  upTo: number,
): Generator<void, number | null> {
  const from = Math.max(sealFrom, chain.anchorSeq + 1);
  let before = from === sealFrom ? null : chain.anchorSeal;
  for (let after = from - 1; ; ) {
    const rows = store.sealBatch(orgId, after, VERIFY_BATCH);
    for (const [chainSeq, seq, digest, seal] of rows) {
      if (chainSeq > upTo) return null;
      if (seal !== sealer.seal(chainSeq === sealFrom ? null : before, digest)) return seq;
      before = seal;
    }
    if (rows.length < VERIFY_BATCH) return null;
    after = rows[rows.length - 1]![0];
    yield;
  }
}

function brokenEntry(store: ChainReads, orgId: string, broken: Break, last: Last): string | null {
  if (broken.at === 'entry') return store.idOf(broken.seq) ?? null;
  if (broken.at === 'head') return null;
  return movedEntry(store, orgId, broken.position, last) ?? (broken.next === null ? null : (store.idAt(orgId, broken.next) ?? null));
}

/**
 * The entry that belongs at `position` but was moved (its org or its position changed):
 * among the entries appended around that time, the one whose stored digest is the digest it
 * would have at this place. A removed entry is not found; the hole is then reported at the
 * entry after it.
 */
function movedEntry(store: ChainReads, orgId: string, position: number, last: Last): string | undefined {
  const candidates = store.appendedAround(store.seqBefore(orgId, position), store.seqAfter(orgId, position), MOVED_SEARCH_LIMIT);
  for (const c of candidates) {
    if (chainDigest(last.digest, last.hash, encoding({ ...c.fields, orgId, chainSeq: position })) === c.digest) return c.fields.id;
  }
  return undefined;
}
