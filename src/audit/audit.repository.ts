import type { Awaitable } from '../db/awaitable.js';
import { rowShape } from '../db/row-shape.js';
import type { AuditEntry } from './audit.schemas.js';
import type { Risk } from './audit.risk.js';
import type { EncodedFields } from './audit.digest.js';

/**
 * Per-org chain state: the head the next entry extends, and the anchor verification starts
 * from (the genesis values, or those of the last entry retention removed).
 */
export interface ChainState {
  headHash: string;
  headSeq: number;
  headDigest: string;
  headSeal: string | null;
  /** The seal the head's own seal chains from, so an append can check the head before extending it. */
  headPrevSeal: string | null;
  anchorHash: string;
  anchorSeq: number;
  anchorDigest: string;
  anchorSeal: string | null;
  /** The key (its id) that seals this chain, from the entry at `sealFrom` on; null when none has. */
  sealKey: string | null;
  sealFrom: number | null;
}

/** What an entry leaves for the next one to chain from. */
export interface ChainLink {
  hash: string;
  digest: string;
  seal: string | null;
}

/** How an `audit_entries` row reads as an AuditEntry (metadata is JSON text), on either engine. */
export const AUDIT_ENTRY_ROW = rowShape<AuditEntry>({
  id: 'id',
  timestamp: 'timestamp',
  actorType: 'actor_type',
  actorId: 'actor_id',
  action: 'action',
  result: 'result',
  metadata: ['metadata', (text: string) => JSON.parse(text) as Record<string, unknown>],
  hash: 'hash',
  risk: 'risk',
  orgId: 'org_id',
  projectId: 'project_id',
});

export interface NewEntryRow {
  id: string;
  orgId: string;
  /** Global append order, from lockChainToAppend(). */
  seq: number;
  /** Position in the org's chain (head + 1). */
  chainSeq: number;
  timestamp: string;
  actorType: string;
  actorId: string;
  action: string;
  result: string;
  metadataJson: string;
  hash: string;
  risk: Risk;
  projectId: string | null;
  digest: string;
  seal: string | null;
}

/**
 * A chain's state once `e` was inserted over `prev` (undefined: a chain that `e` begins,
 * anchored at genesis): what insert() leaves in the chain's row, for an engine that keeps it
 * instead of reading it again. Written out field by field: a spread here costs every append
 * V8's slow object clone.
 */
export function headAfter(prev: ChainState | undefined, e: NewEntryRow, prevSeal: string | null, genesis: { hash: string; digest: string }): ChainState {
  return {
    headHash: e.hash,
    headSeq: e.chainSeq,
    headDigest: e.digest,
    headSeal: e.seal,
    headPrevSeal: prevSeal,
    anchorHash: prev ? prev.anchorHash : genesis.hash,
    anchorSeq: prev ? prev.anchorSeq : 0,
    anchorDigest: prev ? prev.anchorDigest : genesis.digest,
    anchorSeal: prev ? prev.anchorSeal : null,
    sealKey: prev ? prev.sealKey : null,
    sealFrom: prev ? prev.sealFrom : null,
  };
}

export interface AuditFilter {
  orgId: string | null;
  risk?: Risk;
  action?: string;
  actorType?: string;
  actorId?: string;
  projectId?: string;
  since?: string;
  until?: string;
}

/**
 * The audit trail's writes and page reads. Every write method must run inside a unit of
 * work, after lockChain or lockChainToAppend for the org it appends to or purges.
 */
export interface AuditRepository {
  /**
   * Serializes appends and purges of one org's chain until the unit of work ends, and reads
   * its head under that lock: SQLite's unit of work already runs one at a time (no lock
   * there); PostgreSQL locks the chain's row, or takes a transaction advisory lock while the
   * org has no chain yet.
   */
  lockChain(orgId: string): Promise<ChainState | undefined>;
  /**
   * lockChain for an append, with the global seq the new entry takes (taken while the lock is
   * held, never reused: seqs follow commit order). This and insert() are every append's path:
   * an engine that has the answer at once (SQLite) gives it as a plain value, since each
   * promise on that path costs every append (the unit of work follows each one on Node 20).
   */
  lockChainToAppend(orgId: string): Awaitable<{ chain: ChainState | undefined; seq: number }>;
  chain(orgId: string): Promise<ChainState | undefined>;
  /** Every org with a chain, sorted by org id; `count` = entries kept (head - anchor). */
  chains(): Promise<Array<{ orgId: string; count: number }>>;
  /**
   * Writes an entry, makes it its chain's head (`prevSeal`: what its seal chains from; a new
   * chain is anchored at `genesis`) and counts its risk, together.
   */
  insert(e: NewEntryRow, prevSeal: string | null, genesis: { hash: string; digest: string }): Awaitable<void>;
  /** Records that `keyId` seals the org's chain from `chainSeq` on (after the entry is inserted). */
  startSealing(orgId: string, keyId: string, chainSeq: number): Promise<void>;
  /** Entries of one risk, from the kept counters (all orgs when orgId is null). */
  riskCount(orgId: string | null, risk: Risk): Promise<number>;
  /** Unfiltered page of one org by chain position: O(limit) however deep. */
  chainPage(orgId: string, c: ChainState, offset: number, limit: number, order: 'asc' | 'desc'): Promise<AuditEntry[]>;
  count(f: AuditFilter): Promise<number>;
  /** Ordered by chain position within one org, by global seq across orgs. */
  page(f: AuditFilter, offset: number, limit: number, order: 'asc' | 'desc'): Promise<AuditEntry[]>;
  /** Chain position of the org's oldest entry at or after `cutoff`, if any. */
  firstKeptSeq(orgId: string, cutoff: string): Promise<number | null>;
  linkAt(orgId: string, chainSeq: number): Promise<ChainLink | undefined>;
  /**
   * Entries appended after a global position, in append order (one org, or every org when
   * orgId is null), each with its position: what live streams replay and follow.
   */
  after(orgId: string | null, afterSeq: number, limit: number): Promise<Array<{ seq: number; entry: AuditEntry }>>;
  /** The global position of the newest entry (0 when there is none). */
  lastSeq(): Promise<number>;
  /** The documented hash stored at a chain position (what the next entry's hash chains from). */
  hashAt(orgId: string, chainSeq: number): Promise<string | undefined>;
  /**
   * Deletes the chain prefix up to `chainSeq` (the only delete the database allows), lowers
   * the risk counters by what went, and anchors the chain at `anchor`; returns how many went.
   */
  deletePrefix(orgId: string, chainSeq: number, anchor: ChainLink): Promise<number>;
}

/**
 * What verification reads of an entry: its chain and global positions and the encoding of
 * every column (see audit.digest.ts; built by the database). The stored digests are read
 * only to find where a chain whose digest does not add up went wrong (DigestRow).
 */
export type VerifyRow = [chainSeq: number, seq: number, encoding: string];
export type DigestRow = [chainSeq: number, seq: number, encoding: string, digest: string];
/** What locating a rewrite reads of a sealed entry: its chain and global positions, digest and seal. */
export type SealRow = [chainSeq: number, seq: number, digest: string, seal: string | null];

/** An entry that might have been moved out of its place: its stored columns but its org and position, and its digest. */
export interface MovedCandidate {
  fields: Omit<EncodedFields, 'orgId' | 'chainSeq'>;
  digest: string;
}

/** The reads verification makes, all on one snapshot. Batches are in chain order, after a chain position. */
export interface ChainReads {
  chain(orgId: string): Promise<ChainState | undefined>;
  chains(): Promise<Array<{ orgId: string; count: number }>>;
  /** One encoding string per entry (the quick pass). */
  encodingBatch(orgId: string, afterSeq: number, limit: number): Promise<string[]>;
  verifyBatch(orgId: string, afterSeq: number, limit: number): Promise<VerifyRow[]>;
  digestBatch(orgId: string, afterSeq: number, limit: number): Promise<DigestRow[]>;
  sealBatch(orgId: string, afterSeq: number, limit: number): Promise<SealRow[]>;
  linkAt(orgId: string, chainSeq: number): Promise<ChainLink | undefined>;
  idAt(orgId: string, chainSeq: number): Promise<string | undefined>;
  idOf(seq: number): Promise<string | undefined>;
  /** Global position of the org's nearest entry before / after a chain position, if any. */
  seqBefore(orgId: string, chainSeq: number): Promise<number | null>;
  seqAfter(orgId: string, chainSeq: number): Promise<number | null>;
  /**
   * Up to `limit` entries of any org appended strictly between two global positions: from
   * the lower one upwards when it is known, else from the upper one (or the newest) down.
   */
  appendedAround(afterSeq: number | null, beforeSeq: number | null, limit: number): Promise<MovedCandidate[]>;
}

/**
 * The snapshot verification reads, a port per engine: SQLite reads a WAL snapshot through a
 * read-only connection of its own (the main one for an in-memory database); PostgreSQL a
 * REPEATABLE READ transaction on a pooled connection. Everything `fn` reads sees the
 * database as it was when the snapshot was taken, which is before read() first yields.
 */
export interface AuditSnapshotReader {
  read<T>(fn: (reads: ChainReads) => Promise<T>): Promise<T>;
}
