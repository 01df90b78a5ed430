import type { Db } from '../db/open.js';
import { SEEN_PAYLOAD_ROW, type SeenPayload, type WebhooksRepository } from './webhooks.repository.js';

export function createWebhooksSqlite(db: Db): WebhooksRepository {
  const seen = db.prepare<[string]>('SELECT 1 FROM webhook_deliveries WHERE delivery_id = ?').pluck();
  const record = db.prepare('INSERT INTO webhook_deliveries (delivery_id, event, received_at) VALUES (?, ?, ?) ON CONFLICT (delivery_id) DO NOTHING');
  const prune = db.prepare('DELETE FROM webhook_deliveries WHERE received_at < ?');
  const payload = db.prepare<[string, string], SeenPayload>(
    `SELECT ${SEEN_PAYLOAD_ROW.select()} FROM webhook_payloads WHERE target = ? AND body_sha256 = ?`,
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
    seen: async (id) => seen.get(id) !== undefined,
    record: async (id, event, at) => record.run(id, event, at).changes > 0,
    pruneBefore: async (cutoff) => prune.run(cutoff).changes,
    payload: async (target, sha256) => payload.get(target, sha256),
    recordPayload: async (target, sha256, deliveryId, at) => void recordPayload.run(target, sha256, deliveryId, at),
    prunePayloadsBefore: async (cutoff) => prunePayloads.run(cutoff).changes,
    async recordReceipt(orgId, at) {
      receipt.run(orgId, at);
      activity.run(orgId, at);
    },
    pruneReceiptsBefore: async (cutoff) => pruneReceipts.run(cutoff).changes,
    receiptsSince: async (orgId, since) => countSince.get(orgId, since) as number,
    lastReceiptAt: async (orgId) => (lastAt.get(orgId) as string | undefined) ?? null,
  };
}
