import { GENESIS_HASH, HASH_PREFIX } from './audit.hash.js';
import { chainDigest, encoding } from './audit.digest.js';
import type { Sealer } from './audit.seal.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ChainLink, ChainReads, ChainState } from './audit.repository.js';
import type { OrgVerification } from './audit.schemas.js';

/** Entries read per batch; between batches an asynchronous verification lets other requests run. */
export const VERIFY_BATCH = 2_000;

/** How far around a hole in a chain verify looks for the entry that was moved out of it. */
const MOVED_SEARCH_LIMIT = 10_000;

/**
 * Where a chain went wrong, at a chain position: an entry whose stored digest or seal does not
 * check out (by its seq), or a position whose entry is not the one written there (`found`, the
 * entry in its place, if any: the one written there may have been moved elsewhere).
 */
type Break = { at: 'entry'; position: number; seq: number } | { at: 'position'; position: number; found: number | null };

/**
 * Verifies one org's chain. The common case, a chain that checks out, is settled by a pass
 * that reads one string per entry (its encoding) and chains the digests from the anchor: if
 * they add up to the digest the head entry stores, after exactly as many entries as the chain
 * records, every entry is as the server wrote it, at its place (the encoding holds its
 * positions). Anything else is walked again entry by entry, to say what broke and where.
 */
export async function verifyOrg(store: ChainReads, orgId: string, sealer?: Sealer): Promise<OrgVerification> {
  const chain = await store.chain(orgId);
  const sealFrom = sealer && chain?.sealKey === sealer.keyId && chain.sealFrom !== null ? chain.sealFrom : Infinity;
  const quick = await addsUp(store, orgId, chain, sealer, sealFrom);
  return quick ?? (await walk(store, orgId, chain, sealer, sealFrom));
}

/** The quick pass: the answer when the chain checks out, else null. */
async function addsUp(store: ChainReads, orgId: string, chain: ChainState | undefined, sealer: Sealer | undefined, sealFrom: number): Promise<OrgVerification | null> {
  const anchorSeq = chain?.anchorSeq ?? 0;
  const headSeq = chain?.headSeq ?? 0;
  let digest = chain?.anchorDigest ?? GENESIS_HASH;
  let checked = 0;
  for (let after = -1; ; ) {
    const encodings = await store.encodingBatch(orgId, after, VERIFY_BATCH);
    for (const encoded of encodings) digest = chainDigest(digest, encoded);
    checked += encodings.length;
    if (encodings.length < VERIFY_BATCH) break;
    // The encoding starts with the chain position. One that does not move forward (a position
    // changed in the file) is for the walk to explain.
    const next = Number.parseInt(encodings[encodings.length - 1]!, 10);
    if (!(next > after)) return null;
    after = next;
    await nextTurn();
  }
  if (!chain) return checked === 0 ? { orgId, valid: true, checked, brokenAt: null, unkeyed: 0 } : null;
  if (checked !== headSeq - anchorSeq) return null;
  const head = checked === 0 ? { hash: chain.anchorHash, digest: chain.anchorDigest, seal: chain.anchorSeal } : await store.linkAt(orgId, headSeq);
  if (head === undefined || digest !== head.digest || chain.headHash !== head.hash || chain.headDigest !== head.digest || chain.headSeal !== head.seal) return null;
  if (sealer && !(await sealHolds(store, orgId, chain, sealer, sealFrom, headSeq))) return null;
  const unkeyed = Math.max(0, Math.min(sealFrom - 1, headSeq) - anchorSeq);
  return { orgId, valid: true, checked, brokenAt: null, unkeyed };
}

/**
 * The walk, for a chain the quick pass found wrong: it says what broke and where. Entry by
 * entry, each must sit at the next position, not beyond the recorded head; the digests chained
 * from the anchor must add up to the digest the last entry stores, else the stored digests are
 * read one by one to find the first entry that changed. With a key, the seal of the last entry
 * whose digest adds up vouches for every sealed entry before it (the append path never seals
 * over a head whose seal does not check out); when it fails, the seals are read one by one to
 * point at the first entry of a rewrite that recomputed every hash and digest. When all of
 * that holds, the chain does not end where its record says: its newest entries were removed
 * or moved, or the record was edited. Yields after each batch.
 *
 * The quick pass settles every chain that checks out, so the walk always answers invalid.
 */
async function walk(store: ChainReads, orgId: string, chain: ChainState | undefined, sealer: Sealer | undefined, sealFrom: number): Promise<OrgVerification> {
  const anchorSeq = chain?.anchorSeq ?? 0;
  const headSeq = chain?.headSeq ?? 0;
  let digest = chain?.anchorDigest ?? GENESIS_HASH;
  let lastPosition = anchorSeq;
  let checked = 0;
  let unkeyed = 0;
  let broken: Break | null = null;
  for (let after = -1; ; ) {
    const rows = await store.verifyBatch(orgId, after, VERIFY_BATCH);
    checked += rows.length;
    for (const row of rows) if (row[0] < sealFrom) unkeyed++;
    if (broken === null) {
      for (const [chainSeq, seq, encoded] of rows) {
        // Anything else than the next position (a later one: entries missing; an earlier one,
        // one past the head, a value that is no position at all: an entry changed).
        if (chainSeq !== lastPosition + 1 || chainSeq > headSeq) {
          broken = { at: 'position', position: lastPosition + 1, found: seq };
          break;
        }
        digest = chainDigest(digest, encoded);
        lastPosition = chainSeq;
      }
    }
    if (rows.length < VERIFY_BATCH) break;
    after = rows[rows.length - 1]![0];
    await nextTurn();
  }
  const anchor: ChainLink = { hash: chain?.anchorHash ?? HASH_PREFIX + GENESIS_HASH, digest: chain?.anchorDigest ?? GENESIS_HASH, seal: chain?.anchorSeal ?? null };
  const last = lastPosition === anchorSeq ? anchor : (await store.linkAt(orgId, lastPosition))!;
  // Some entry up to here changed: it comes before any break found further on.
  if (digest !== last.digest) broken = await firstBadDigest(store, orgId, anchor.digest);
  // With the key: the seal of the last entry whose digest adds up vouches for every sealed
  // entry before it. When it does not check out, the seals before say where a rewrite that
  // recomputed every hash and digest began (earlier than any break the digests show).
  const sealedUpTo = Math.min(lastPosition, (broken?.position ?? Infinity) - 1);
  if (sealer && chain && !(await sealHolds(store, orgId, chain, sealer, sealFrom, sealedUpTo))) {
    broken = await firstBadSeal(store, orgId, sealer, sealFrom, chain);
  }
  broken ??= { at: 'position', position: lastPosition + 1, found: null };
  return { orgId, valid: false, checked, brokenAt: await brokenEntry(store, orgId, broken, last), unkeyed };
}

/**
 * The first entry whose stored digest is not the digest of its encoding after the previous
 * one's. The walk calls it when the digests chained from the anchor do not add up to the one
 * its last entry stores, so there is one, at that entry at the latest.
 */
async function firstBadDigest(store: ChainReads, orgId: string, anchorDigest: string): Promise<Break> {
  let previous = anchorDigest;
  for (let after = -1; ; ) {
    const rows = await store.digestBatch(orgId, after, VERIFY_BATCH);
    for (const [chainSeq, seq, encoded, digest] of rows) {
      if (digest !== chainDigest(previous, encoded)) return { at: 'entry', position: chainSeq, seq };
      previous = digest;
    }
    after = rows[rows.length - 1]![0];
    await nextTurn();
  }
}

/** The seal the entry at `position` was sealed over: none for the first sealed entry, else the one before it (the anchor's, right after it). */
async function sealBefore(store: ChainReads, orgId: string, chain: ChainState, sealFrom: number, position: number): Promise<string | null> {
  if (position === sealFrom) return null;
  if (position - 1 === chain.anchorSeq) return chain.anchorSeal;
  return (await store.linkAt(orgId, position - 1))!.seal;
}

/** Whether the seal of the entry at `position` checks out (true when that entry is not one the key sealed). */
async function sealHolds(store: ChainReads, orgId: string, chain: ChainState, sealer: Sealer, sealFrom: number, position: number): Promise<boolean> {
  if (position < Math.max(sealFrom, chain.anchorSeq + 1)) return true;
  const link = (await store.linkAt(orgId, position))!;
  return link.seal === sealer.seal(await sealBefore(store, orgId, chain, sealFrom, position), link.digest);
}

/**
 * The first entry of the sealed stretch whose seal does not check out. With the digests adding
 * up to there, entries before a rewrite keep their seals and every entry from it on has a new
 * digest, so this is where the rewrite starts. The walk calls it when the seal of an entry does
 * not check out, so there is one, at that entry at the latest.
 */
async function firstBadSeal(store: ChainReads, orgId: string, sealer: Sealer, sealFrom: number, chain: ChainState): Promise<Break> {
  const from = Math.max(sealFrom, chain.anchorSeq + 1);
  let before = await sealBefore(store, orgId, chain, sealFrom, from);
  for (let after = from - 1; ; ) {
    const rows = await store.sealBatch(orgId, after, VERIFY_BATCH);
    for (const [chainSeq, seq, digest, seal] of rows) {
      if (seal !== sealer.seal(before, digest)) return { at: 'entry', position: chainSeq, seq };
      before = seal;
    }
    after = rows[rows.length - 1]![0];
    await nextTurn();
  }
}

/** The entry a break points at: the one that fails a check; at a position, the entry written there if it was moved elsewhere, else the one found there. */
async function brokenEntry(store: ChainReads, orgId: string, broken: Break, last: ChainLink): Promise<string | null> {
  if (broken.at === 'entry') return (await store.idOf(broken.seq)) ?? null;
  return (await movedEntry(store, orgId, broken.position, last)) ?? (broken.found === null ? null : ((await store.idOf(broken.found)) ?? null));
}

/**
 * The entry that belongs at `position` but was moved (its org or its position changed):
 * among the entries appended around that time, the one whose stored digest is the digest it
 * would have at this place. A removed entry is not found; the hole is then reported at the
 * entry after it.
 */
async function movedEntry(store: ChainReads, orgId: string, position: number, last: ChainLink): Promise<string | undefined> {
  const candidates = await store.appendedAround(await store.seqBefore(orgId, position), await store.seqAfter(orgId, position), MOVED_SEARCH_LIMIT);
  for (const c of candidates) {
    if (chainDigest(last.digest, encoding({ ...c.fields, orgId, chainSeq: position })) === c.digest) return c.fields.id;
  }
  return undefined;
}
