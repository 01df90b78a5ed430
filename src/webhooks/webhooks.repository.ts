import { rowShape } from '../db/row-shape.js';
export interface SeenPayload {
  deliveryId: string | null;
  receivedAt: string;
}

/** How a `webhook_payloads` row reads as a SeenPayload, on either engine. */
export const SEEN_PAYLOAD_ROW = rowShape<SeenPayload>({ deliveryId: 'delivery_id', receivedAt: 'received_at' });

/** De-duplication and per-org activity of webhook deliveries. */
export interface WebhooksRepository {
  seen(deliveryId: string): Promise<boolean>;
  /** Records a delivery id; false when it was already recorded (a concurrent duplicate lost the race). */
  record(deliveryId: string, event: string, at: string): Promise<boolean>;
  pruneBefore(cutoff: string): Promise<number>;
  /** The last processed delivery with this body at this URL (`''` = the instance URL). */
  payload(target: string, sha256: string): Promise<SeenPayload | undefined>;
  /** Inserts or replaces the payload's row. */
  recordPayload(target: string, sha256: string, deliveryId: string | null, at: string): Promise<void>;
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
