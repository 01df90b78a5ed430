import { exec, one, rows, scalar, stmt, type Queryable } from '../db/postgres/sql.js';
import { writeOrHold, type HeldWrite } from '../db/postgres/held-writes.js';
import { ORG_SECRET_ROW, type ClaimOutcome, type OrgSecretsRepository, type StoredOrgSecret, type WebhooksRepository } from './webhooks.repository.js';

interface Receipt {
  orgId: string;
  at: string;
}

const W = {
  // One round trip for the whole claim (see WebhooksRepository.claim): every write is guarded
  // by the checks, which read the statement's snapshot. A concurrent copy of the same id waits
  // on the primary key and, once the first commits, finds it kept and writes nothing: the
  // claim is the first's. An id older than the kept ones (not pruned yet) is taken over.
  claim: stmt(
    'wh:claim',
    `WITH seen AS (
       SELECT 1 FROM webhook_deliveries WHERE delivery_id = $1::text AND received_at >= $8::text
     ), prior AS (
       SELECT 1 FROM webhook_payloads WHERE target = $3::text AND body_sha256 = $4::text AND received_at > $6::text
     ), rec AS (
       INSERT INTO webhook_deliveries (delivery_id, event, received_at)
       SELECT $1::text, $2::text, $5::text
       WHERE $1::text IS NOT NULL AND NOT EXISTS (SELECT 1 FROM seen) AND NOT EXISTS (SELECT 1 FROM prior)
       ON CONFLICT (delivery_id) DO UPDATE SET event = excluded.event, received_at = excluded.received_at
         WHERE webhook_deliveries.received_at < $8::text
       RETURNING 1
     ), won AS (
       SELECT NOT EXISTS (SELECT 1 FROM seen) AND NOT EXISTS (SELECT 1 FROM prior) AND ($1::text IS NULL OR EXISTS (SELECT 1 FROM rec)) AS ok
     ), payload AS (
       INSERT INTO webhook_payloads (target, body_sha256, delivery_id, received_at)
       SELECT $3::text, $4::text, $1::text, $5::text FROM won WHERE ok
       ON CONFLICT (target, body_sha256) DO UPDATE SET delivery_id = excluded.delivery_id, received_at = excluded.received_at
     ), receipt AS (
       INSERT INTO webhook_receipts (org_id, received_at) SELECT $7::text, $5::text FROM won WHERE ok AND $7::text IS NOT NULL
     ), activity AS (
       INSERT INTO org_webhook_activity (org_id, last_delivery_at) SELECT $7::text, $5::text FROM won WHERE ok AND $7::text IS NOT NULL
       ON CONFLICT (org_id) DO UPDATE SET last_delivery_at = GREATEST(org_webhook_activity.last_delivery_at, excluded.last_delivery_at)
     )
     SELECT CASE WHEN EXISTS (SELECT 1 FROM seen) THEN 'duplicate' WHEN EXISTS (SELECT 1 FROM prior) THEN 'replayed'
       WHEN ok THEN 'claimed' ELSE 'duplicate' END FROM won`,
  ),
  prune: stmt('wh:prune', 'DELETE FROM webhook_deliveries WHERE received_at < $1'),
  prunePayloads: stmt('wh:prunePayloads', 'DELETE FROM webhook_payloads WHERE received_at < $1'),
  receipt: stmt(
    'wh:receipt',
    `WITH r AS (INSERT INTO webhook_receipts (org_id, received_at) VALUES ($1, $2))
     INSERT INTO org_webhook_activity (org_id, last_delivery_at) VALUES ($1, $2)
     ON CONFLICT (org_id) DO UPDATE SET last_delivery_at = GREATEST(org_webhook_activity.last_delivery_at, excluded.last_delivery_at)`,
  ),
  receipts: stmt(
    'wh:receipts',
    `WITH r AS (INSERT INTO webhook_receipts (org_id, received_at) SELECT * FROM unnest($1::text[], $2::text[]))
     INSERT INTO org_webhook_activity (org_id, last_delivery_at) SELECT * FROM unnest($3::text[], $4::text[])
     ON CONFLICT (org_id) DO UPDATE SET last_delivery_at = GREATEST(org_webhook_activity.last_delivery_at, excluded.last_delivery_at)`,
  ),
  pruneReceipts: stmt('wh:pruneReceipts', 'DELETE FROM webhook_receipts WHERE received_at < $1'),
  countSince: stmt('wh:countSince', 'SELECT COUNT(*) FROM webhook_receipts WHERE org_id = $1 AND received_at >= $2'),
  lastAt: stmt('wh:lastAt', 'SELECT last_delivery_at FROM org_webhook_activity WHERE org_id = $1'),
};

/** Receipts, held back by a unit: every one kept, each org's last delivery moved once. */
const RECEIPTS: HeldWrite<Receipt> = {
  name: 'webhook receipts',
  values: (r) => [r.orgId, r.at],
  async write(q, held) {
    if (held.length === 1) return void (await exec(q, W.receipt, [held[0]!.orgId, held[0]!.at]));
    const latest = new Map<string, string>();
    for (const r of held) if ((latest.get(r.orgId) ?? '') < r.at) latest.set(r.orgId, r.at);
    await exec(q, W.receipts, [held.map((r) => r.orgId), held.map((r) => r.at), [...latest.keys()], [...latest.values()]]);
  },
};

export function createWebhooksPg(q: Queryable): WebhooksRepository {
  return {
    claim: async (c) =>
      (await scalar<ClaimOutcome>(q, W.claim, [c.deliveryId, c.event, c.target, c.sha256, c.at, c.replayedAfter, c.receiptFor, c.idsKeptFrom]))!,
    pruneBefore: (cutoff) => exec(q, W.prune, [cutoff]),
    prunePayloadsBefore: (cutoff) => exec(q, W.prunePayloads, [cutoff]),
    recordReceipt: (orgId, at) => writeOrHold(q, RECEIPTS, { orgId, at }),
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
