import type { Db } from '../db/open.js';
import type { WebhooksRepository } from './webhooks.repository.js';

export function createWebhooksSqlite(db: Db): WebhooksRepository {
  const seen = db.prepare<[string, string]>('SELECT 1 FROM webhook_deliveries WHERE delivery_id = ? AND received_at >= ?').pluck();
  // An id older than the kept ones (not pruned yet) is taken over.
  const record = db.prepare<[string, string, string, string]>(
    `INSERT INTO webhook_deliveries (delivery_id, event, received_at) VALUES (?, ?, ?)
     ON CONFLICT (delivery_id) DO UPDATE SET event = excluded.event, received_at = excluded.received_at WHERE webhook_deliveries.received_at < ?`,
  );
  const prune = db.prepare('DELETE FROM webhook_deliveries WHERE received_at < ?');
  const payloadAt = db.prepare<[string, string]>('SELECT received_at FROM webhook_payloads WHERE target = ? AND body_sha256 = ?').pluck();
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
  const recordReceipt = (orgId: string, at: string) => {
    receipt.run(orgId, at);
    activity.run(orgId, at);
  };
  return {
    async claim(c) {
      if (c.deliveryId !== null && seen.get(c.deliveryId, c.idsKeptFrom) !== undefined) return 'duplicate';
      const prior = payloadAt.get(c.target, c.sha256) as string | undefined;
      if (prior !== undefined && prior > c.replayedAfter) return 'replayed';
      if (c.deliveryId !== null && record.run(c.deliveryId, c.event, c.at, c.idsKeptFrom).changes === 0) return 'duplicate';
      recordPayload.run(c.target, c.sha256, c.deliveryId, c.at);
      if (c.receiptFor !== null) recordReceipt(c.receiptFor, c.at);
      return 'claimed';
    },
    pruneBefore: async (cutoff) => prune.run(cutoff).changes,
    prunePayloadsBefore: async (cutoff) => prunePayloads.run(cutoff).changes,
    recordReceipt: async (orgId, at) => recordReceipt(orgId, at),
    pruneReceiptsBefore: async (cutoff) => pruneReceipts.run(cutoff).changes,
    receiptsSince: async (orgId, since) => countSince.get(orgId, since) as number,
    lastReceiptAt: async (orgId) => (lastAt.get(orgId) as string | undefined) ?? null,
  };
}
