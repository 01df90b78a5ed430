import type { UnitOfWork } from '../db/engine.js';
import type { Awaitable } from '../db/awaitable.js';
import { orderedId } from '../ids.js';
import type { Clock } from '../clock.js';
import type { OrgScope } from '../http/org-scope.js';
import { canonicalMetadata, chainHash, GENESIS_HASH, HASH_PREFIX, stripPrefix } from './audit.hash.js';
import { chainDigest, encoding } from './audit.digest.js';
import type { Sealer } from './audit.seal.js';
import { createVerifier } from './audit.verify.js';
import { riskOf } from './audit.risk.js';
import type { ActorType, AuditEntry, AuditQuery } from './audit.schemas.js';
import type { AuditFilter, AuditRepository, AuditSnapshotReader, ChainState } from './audit.repository.js';
import type { Metrics } from '../metrics/metrics.js';

export interface AppendInput {
  orgId: string;
  actorType: ActorType;
  actorId: string;
  action: string;
  /** `completed` for API changes, `processed` for ci_event, `failed` for failed attempts. */
  result?: string;
  metadata?: Record<string, unknown>;
  projectId?: string | null;
}

export interface AuditPage {
  entries: AuditEntry[];
  total: number;
  page: number;
  pageSize: number;
  totalPages: number;
  hasMore: boolean;
}

export interface RetentionResult {
  removed: number;
  orgs: Array<{ orgId: string; removed: number }>;
}

export interface AuditServiceDeps {
  uow: UnitOfWork;
  snapshot: AuditSnapshotReader;
  clock: Clock;
  /** Every org id, so unscoped verify reports orgs with no entries too. */
  orgIds: () => Promise<string[]>;
  /** The bearer credential of the request being served, recorded as `metadata.credential`. */
  credential?: () => string | undefined;
  /** Present when AUDIT_HMAC_KEY is set: every new entry is sealed and verify checks seals. */
  sealer?: Sealer;
  metrics?: Pick<Metrics, 'auditAppended'>;
  /** Told each new entry and its global position, inside the unit that appends it (live events). */
  appended?: (seq: number, entry: AuditEntry) => void;
}

const GENESIS = { hash: HASH_PREFIX + GENESIS_HASH, digest: GENESIS_HASH };

export function createAuditService({ uow, snapshot, clock, orgIds, credential, sealer, metrics, appended }: AuditServiceDeps) {
  const repo = (): AuditRepository => uow.current().audit;
  /** The last head this process wrote, per org: a chain head that is still exactly this needs no second look. */
  const written = new Map<string, { chainSeq: number; hash: string; digest: string; seal: string | null; prevSeal: string | null }>();
  const ownHead = (orgId: string, chain: ChainState): boolean => {
    const own = written.get(orgId);
    return (
      own !== undefined &&
      own.chainSeq === chain.headSeq &&
      own.hash === chain.headHash &&
      own.digest === chain.headDigest &&
      own.seal === chain.headSeal &&
      own.prevSeal === chain.headPrevSeal
    );
  };

  /**
   * The seal a new entry's seal chains from, null when this key starts sealing the chain at
   * it (the chain has no seal yet, another key's, or none since the key was last unset). A
   * chain this key already seals is extended only once its head's seal checks out: verify
   * checks every digest but only the last seal of a chain, so a head forged in the file
   * (entries rewritten, digests recomputed) must never be sealed over.
   */
  function previousSeal(orgId: string, chain: ChainState | undefined, sealer: Sealer): string | null {
    if (chain === undefined || chain.sealKey !== sealer.keyId || chain.headSeal === null) return null;
    if (!ownHead(orgId, chain) && sealer.seal(chain.headPrevSeal, chain.headDigest) !== chain.headSeal) {
      throw new Error(`audit chain of ${orgId}: its head does not verify with AUDIT_HMAC_KEY (entries changed in the database?); refusing to seal over it`);
    }
    return chain.headSeal;
  }

  /**
   * What the new entry's documented hash chains from: the hash the head entry stores (the
   * chain table keeps a copy, which an edit of the file could have changed; the digest covers
   * each entry's stored hash, so this is what makes the hashes chain as documented).
   */
  function previousHash(store: AuditRepository, orgId: string, chain: ChainState | undefined): Awaitable<string> {
    if (chain === undefined) return GENESIS.hash;
    if (ownHead(orgId, chain) || chain.headSeq === chain.anchorSeq) return chain.headHash;
    // Read only when the head is not this process's own (another process appended since).
    return store.hashAt(orgId, chain.headSeq).then((stored) => stored ?? chain.headHash);
  }

  /**
   * Reads the org's head and writes the next link in one unit of work, under the chain's
   * lock, so concurrent appends are serialized and the chain cannot fork; inside a caller's
   * unit it is part of it (no savepoint of its own: a failure rolls the caller's whole
   * change back), alone it is its own.
   */
  const appendIn = async (store: AuditRepository, input: AppendInput): Promise<AuditEntry> => {
    // Each await below is taken only for a promise (see AuditRepository.lockChainToAppend).
    const locked = store.lockChainToAppend(input.orgId);
    const { chain, seq } = locked instanceof Promise ? await locked : locked;
    const known = previousHash(store, input.orgId, chain);
    const previous = stripPrefix(typeof known === 'string' ? known : await known);
    const timestamp = clock.now().toISOString();
    const credentialId = credential?.();
    const metadataJson = canonicalMetadata(credentialId ? { ...input.metadata, credential: credentialId } : input.metadata);
    const result = input.result ?? 'completed';
    const hashed = { timestamp, actorType: input.actorType, actorId: input.actorId, action: input.action, result, metadataJson };
    const hash = HASH_PREFIX + chainHash(previous, hashed);
    const row = {
      id: orderedId('aud'),
      orgId: input.orgId,
      seq,
      chainSeq: (chain?.headSeq ?? 0) + 1,
      timestamp,
      actorType: input.actorType,
      actorId: input.actorId,
      action: input.action,
      result,
      metadataJson,
      hash,
      risk: riskOf(input.action),
      projectId: input.projectId ?? null,
      digest: '',
      seal: null as string | null,
    };
    row.digest = chainDigest(chain?.headDigest ?? GENESIS_HASH, encoding(row));
    const prevSeal = sealer ? previousSeal(row.orgId, chain, sealer) : null;
    if (sealer) row.seal = sealer.seal(prevSeal, row.digest);
    const inserted = store.insert(row, prevSeal, GENESIS);
    if (inserted instanceof Promise) await inserted;
    written.set(row.orgId, { chainSeq: row.chainSeq, hash: row.hash, digest: row.digest, seal: row.seal, prevSeal });
    if (sealer && prevSeal === null) await store.startSealing(row.orgId, sealer.keyId, row.chainSeq);
    metrics?.auditAppended();
    const entry: AuditEntry = {
      id: row.id,
      timestamp,
      actorType: row.actorType,
      actorId: row.actorId,
      action: row.action,
      result,
      metadata: JSON.parse(metadataJson) as Record<string, unknown>,
      hash,
      risk: row.risk,
      orgId: row.orgId,
      projectId: row.projectId,
    };
    appended?.(row.seq, entry);
    return entry;
  };
  async function query(scope: OrgScope, q: AuditQuery): Promise<AuditPage> {
    const store = repo();
    const pageSize = q.limit ?? 20;
    const page = q.page ?? 1;
    const order = q.order ?? 'desc';
    const filter: AuditFilter = {
      orgId: scope.orgId,
      risk: q.risk === 'all' ? undefined : q.risk,
      action: q.action,
      actorType: q.actorType,
      actorId: q.actorId,
      projectId: q.projectId,
      since: q.since,
      until: q.until,
    };
    const present = Object.entries(filter).filter(([k, v]) => k !== 'orgId' && v !== undefined).map(([k]) => k);
    const unfiltered = present.length === 0;
    const chain = scope.orgId && unfiltered ? await store.chain(scope.orgId) : undefined;
    // Totals come from kept counters where they can (no filter, or risk alone); else a count.
    let total: number;
    if (unfiltered) total = scope.orgId ? (chain ? chain.headSeq - chain.anchorSeq : 0) : (await store.chains()).reduce((n, c) => n + c.count, 0);
    else if (present.length === 1 && filter.risk) total = await store.riskCount(scope.orgId, filter.risk);
    else total = await store.count(filter);
    const offset = (page - 1) * pageSize;
    let entries: AuditEntry[] = [];
    if (offset < total) {
      entries = chain ? await store.chainPage(scope.orgId!, chain, offset, pageSize, order) : await store.page(filter, offset, pageSize, order);
    }
    return {
      entries,
      total,
      page,
      pageSize,
      totalPages: Math.ceil(total / pageSize),
      hasMore: offset + entries.length < total,
    };
  }

  return {
    append: (input: AppendInput): Promise<AuditEntry> => uow.run((tx) => appendIn(tx.audit, input)),
    query,
    /** Entries after a global position, in append order, with their positions (live streams). */
    after: (orgId: string | null, afterSeq: number, limit: number) => repo().after(orgId, afterSeq, limit),
    lastSeq: (): Promise<number> => repo().lastSeq(),
    /** The verification of the scope's chains; see createVerifier (it does not stop the server). */
    verify: createVerifier({ snapshot, orgIds, sealer }),
    /** Removes entries older than `retentionDays`, keeping each chain verifiable. */
    purgeOlderThan: (retentionDays: number): Promise<RetentionResult> =>
      uow.run(async ({ audit: store }) => {
        const cutoff = new Date(clock.now().getTime() - retentionDays * 86_400_000).toISOString();
        const orgs: RetentionResult['orgs'] = [];
        for (const { orgId } of await store.chains()) {
          const chain = (await store.lockChain(orgId))!;
          const firstKept = await store.firstKeptSeq(orgId, cutoff);
          // Only a prefix can go: chain positions stay contiguous and the anchor is exact.
          const lastRemoved = firstKept === null ? chain.headSeq : firstKept - 1;
          if (lastRemoved <= chain.anchorSeq) continue;
          const anchor = (await store.linkAt(orgId, lastRemoved))!;
          const removed = await store.deletePrefix(orgId, lastRemoved, anchor);
          if (removed > 0) orgs.push({ orgId, removed });
        }
        return { removed: orgs.reduce((n, o) => n + o.removed, 0), orgs };
      }),
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
