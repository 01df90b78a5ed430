import type { Db } from '../db/open.js';

export function createWebhooksStore(db: Db) {
  const seen = db.prepare<[string]>('SELECT 1 FROM webhook_deliveries WHERE delivery_id = ?').pluck();
  const record = db.prepare('INSERT INTO webhook_deliveries (delivery_id, event, received_at) VALUES (?, ?, ?)');
  const prune = db.prepare('DELETE FROM webhook_deliveries WHERE received_at < ?');
  return {
    seen: (id: string): boolean => seen.get(id) !== undefined,
    record: (id: string, event: string, at: string): void => void record.run(id, event, at),
    pruneBefore: (cutoff: string): number => prune.run(cutoff).changes,
  };
}

export type WebhooksStore = ReturnType<typeof createWebhooksStore>;
