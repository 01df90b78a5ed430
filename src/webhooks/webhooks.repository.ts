import { rowShape } from '../db/row-shape.js';

/** A delivery to be claimed (see WebhooksRepository.claim). */
export interface DeliveryClaim {
  /** Null when the delivery came without an id (de-duplicated by its body only). */
  deliveryId: string | null;
  event: string;
  /** The org of the URL it came to; `''` for the instance URL. */
  target: string;
  sha256: string;
  at: string;
  /** An id recorded before this is forgotten (as if pruned already): it is claimed anew. */
  idsKeptFrom: string;
  /** The same body at the same URL recorded after this is a replay. */
  replayedAfter: string;
  /** The org the delivery counts for (its URL's), or null. */
  receiptFor: string | null;
}

export type ClaimOutcome = 'duplicate' | 'replayed' | 'claimed';

/** De-duplication and per-org activity of webhook deliveries. */
export interface WebhooksRepository {
  /**
   * Decides and records a delivery in one step: an id recorded (and kept) is a duplicate, then
   * the same body at the same URL within the window is a replay; otherwise the id (when it
   * has one), the body and the org's receipt are recorded. Of concurrent copies of one id,
   * the one that records it first claims it; the others are duplicates.
   */
  claim(c: DeliveryClaim): Promise<ClaimOutcome>;
  pruneBefore(cutoff: string): Promise<number>;
  prunePayloadsBefore(cutoff: string): Promise<number>;
  /** One delivery reached this org (a receipt, and the org's last-delivery time moves forward only). */
  recordReceipt(orgId: string, at: string): Promise<void>;
  pruneReceiptsBefore(cutoff: string): Promise<number>;
  receiptsSince(orgId: string, since: string): Promise<number>;
  lastReceiptAt(orgId: string): Promise<string | null>;
}

/** An org's webhook secrets as stored (sealed by the SecretBox above the repository). */
export interface StoredOrgSecret {
  orgId: string;
  secret: string;
  createdAt: string;
  previousSecret: string | null;
  previousExpiresAt: string | null;
}

/** How an `org_webhook_secrets` row reads as a StoredOrgSecret, on either engine. */
export const ORG_SECRET_ROW = rowShape<StoredOrgSecret>({
  orgId: 'org_id',
  secret: 'secret',
  createdAt: 'created_at',
  previousSecret: 'previous_secret',
  previousExpiresAt: 'previous_expires_at',
});

/** Org webhook secrets; sealing and opening happen above (org-secrets.store.ts). */
export interface OrgSecretsRepository {
  get(orgId: string): Promise<StoredOrgSecret | undefined>;
  /** Sorted by orgId. */
  all(): Promise<StoredOrgSecret[]>;
  /** Inserts or replaces the org's row. */
  save(row: StoredOrgSecret): Promise<void>;
  /** Replaces the two stored secret values only (re-sealing at start-up). */
  rewrite(orgId: string, secret: string, previousSecret: string | null): Promise<void>;
}
