import type { Db } from '../db/open.js';

export interface SeenPayload {
  deliveryId: string | null;
  receivedAt: string;
}

export function createWebhooksStore(db: Db) {
  const seen = db.prepare<[string]>('SELECT 1 FROM webhook_deliveries WHERE delivery_id = ?').pluck();
  const record = db.prepare('INSERT INTO webhook_deliveries (delivery_id, event, received_at) VALUES (?, ?, ?)');
  const prune = db.prepare('DELETE FROM webhook_deliveries WHERE received_at < ?');
  const payload = db.prepare<[string, string], { delivery_id: string | null; received_at: string }>(
    'SELECT delivery_id, received_at FROM webhook_payloads WHERE target = ? AND body_sha256 = ?',
  );
  const recordPayload = db.prepare(
    `INSERT INTO webhook_payloads (target, body_sha256, delivery_id, received_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (target, body_sha256) DO UPDATE SET delivery_id = excluded.delivery_id, received_at = excluded.received_at`,
  );
  const prunePayloads = db.prepare('DELETE FROM webhook_payloads WHERE received_at < ?');
  const receipt = db.prepare('INSERT INTO webhook_receipts (org_id, received_at) VALUES (?, ?)');
  const activity = db.prepare(
    `INSERT INTO org_webhook_activity (org_id, last_delivery_at) VALUES (?, ?)
     ON CONFLICT (org_id) DO UPDATE SET last_delivery_at = max(last_delivery_at, excluded.last_delivery_at)`,
  );
  const pruneReceipts = db.prepare('DELETE FROM webhook_receipts WHERE received_at < ?');
  const countSince = db.prepare<[string, string]>('SELECT COUNT(*) FROM webhook_receipts WHERE org_id = ? AND received_at >= ?').pluck();
  const lastAt = db.prepare<[string]>('SELECT last_delivery_at FROM org_webhook_activity WHERE org_id = ?').pluck();
  return {
    seen: (id: string): boolean => seen.get(id) !== undefined,
    record: (id: string, event: string, at: string): void => void record.run(id, event, at),
    pruneBefore: (cutoff: string): number => prune.run(cutoff).changes,
    /** The last processed delivery with this body at this URL (`''` = the instance URL). */
    payload(target: string, sha256: string): SeenPayload | undefined {
      const r = payload.get(target, sha256);
      return r && { deliveryId: r.delivery_id, receivedAt: r.received_at };
    },
    recordPayload: (target: string, sha256: string, deliveryId: string | null, at: string): void => void recordPayload.run(target, sha256, deliveryId, at),
    prunePayloadsBefore: (cutoff: string): number => prunePayloads.run(cutoff).changes,
    /** One delivery reached this org. */
    recordReceipt(orgId: string, at: string): void {
      receipt.run(orgId, at);
      activity.run(orgId, at);
    },
    pruneReceiptsBefore: (cutoff: string): number => pruneReceipts.run(cutoff).changes,
    receiptsSince: (orgId: string, since: string): number => countSince.get(orgId, since) as number,
    lastReceiptAt: (orgId: string): string | null => (lastAt.get(orgId) as string | undefined) ?? null,
  };
}

export type WebhooksStore = ReturnType<typeof createWebhooksStore>;
