import { exec, one, rows, scalar, stmt, type Queryable } from '../db/postgres/sql.js';
import { ORG_SECRET_ROW, SEEN_PAYLOAD_ROW, type OrgSecretsRepository, type SeenPayload, type StoredOrgSecret, type WebhooksRepository } from './webhooks.repository.js';

const W = {
  seen: stmt('wh:seen', 'SELECT 1 FROM webhook_deliveries WHERE delivery_id = $1'),
  // The primary key decides between concurrent copies of one delivery: the loser inserts nothing.
  record: stmt('wh:record', 'INSERT INTO webhook_deliveries (delivery_id, event, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING'),
  prune: stmt('wh:prune', 'DELETE FROM webhook_deliveries WHERE received_at < $1'),
  payload: stmt(
    'wh:payload',
    `SELECT ${SEEN_PAYLOAD_ROW.select()} FROM webhook_payloads WHERE target = $1 AND body_sha256 = $2`,
  ),
  recordPayload: stmt(
    'wh:recordPayload',
    `INSERT INTO webhook_payloads (target, body_sha256, delivery_id, received_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (target, body_sha256) DO UPDATE SET delivery_id = excluded.delivery_id, received_at = excluded.received_at`,
  ),
  prunePayloads: stmt('wh:prunePayloads', 'DELETE FROM webhook_payloads WHERE received_at < $1'),
  receipt: stmt('wh:receipt', 'INSERT INTO webhook_receipts (org_id, received_at) VALUES ($1, $2)'),
  activity: stmt(
    'wh:activity',
    `INSERT INTO org_webhook_activity (org_id, last_delivery_at) VALUES ($1, $2)
     ON CONFLICT (org_id) DO UPDATE SET last_delivery_at = GREATEST(org_webhook_activity.last_delivery_at, excluded.last_delivery_at)`,
  ),
  pruneReceipts: stmt('wh:pruneReceipts', 'DELETE FROM webhook_receipts WHERE received_at < $1'),
  countSince: stmt('wh:countSince', 'SELECT COUNT(*) FROM webhook_receipts WHERE org_id = $1 AND received_at >= $2'),
  lastAt: stmt('wh:lastAt', 'SELECT last_delivery_at FROM org_webhook_activity WHERE org_id = $1'),
};

export function createWebhooksPg(q: Queryable): WebhooksRepository {
  return {
    seen: async (id) => (await scalar(q, W.seen, [id])) !== undefined,
    record: async (id, event, at) => (await exec(q, W.record, [id, event, at])) === 1,
    pruneBefore: (cutoff) => exec(q, W.prune, [cutoff]),
    payload: (target, sha256) => one<SeenPayload>(q, W.payload, [target, sha256]),
    recordPayload: async (target, sha256, deliveryId, at) => void (await exec(q, W.recordPayload, [target, sha256, deliveryId, at])),
    prunePayloadsBefore: (cutoff) => exec(q, W.prunePayloads, [cutoff]),
    async recordReceipt(orgId, at) {
      await exec(q, W.receipt, [orgId, at]);
      await exec(q, W.activity, [orgId, at]);
    },
    pruneReceiptsBefore: (cutoff) => exec(q, W.pruneReceipts, [cutoff]),
    receiptsSince: async (orgId, since) => (await scalar<number>(q, W.countSince, [orgId, since])) ?? 0,
    lastReceiptAt: async (orgId) => (await scalar<string>(q, W.lastAt, [orgId])) ?? null,
  };
}

const SECRET_COLUMNS = ORG_SECRET_ROW.select();
const O = {
  get: stmt('osec:get', `SELECT ${SECRET_COLUMNS} FROM org_webhook_secrets WHERE org_id = $1`),
  all: stmt('osec:all', `SELECT ${SECRET_COLUMNS} FROM org_webhook_secrets ORDER BY org_id`),
  save: stmt(
    'osec:save',
    `INSERT INTO org_webhook_secrets (org_id, secret, created_at, previous_secret, previous_expires_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (org_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at,
       previous_secret = excluded.previous_secret, previous_expires_at = excluded.previous_expires_at`,
  ),
  rewrite: stmt('osec:rewrite', 'UPDATE org_webhook_secrets SET secret = $1, previous_secret = $2 WHERE org_id = $3'),
};

export function createOrgSecretsPg(q: Queryable): OrgSecretsRepository {
  return {
    get: (orgId) => one<StoredOrgSecret>(q, O.get, [orgId]),
    all: () => rows<StoredOrgSecret>(q, O.all),
    save: async (r) => void (await exec(q, O.save, [r.orgId, r.secret, r.createdAt, r.previousSecret, r.previousExpiresAt])),
    rewrite: async (orgId, secret, previousSecret) => void (await exec(q, O.rewrite, [secret, previousSecret, orgId])),
  };
}
