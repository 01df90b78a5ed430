import type { Db } from '../db/open.js';
import { ORG_SECRET_ROW, type OrgSecretsRepository, type StoredOrgSecret } from './webhooks.repository.js';

type Row = Record<string, unknown>;
const toStored = (r: Row): StoredOrgSecret => ORG_SECRET_ROW.read(r);

export function createOrgSecretsSqlite(db: Db): OrgSecretsRepository {
  const byOrg = db.prepare<[string], Row>(`SELECT ${ORG_SECRET_ROW.select()} FROM org_webhook_secrets WHERE org_id = ?`);
  const all = db.prepare<[], Row>(`SELECT ${ORG_SECRET_ROW.select()} FROM org_webhook_secrets ORDER BY org_id`);
  const upsert = db.prepare(
    `INSERT INTO org_webhook_secrets (org_id, secret, created_at, previous_secret, previous_expires_at)
     VALUES (@orgId, @secret, @createdAt, @previousSecret, @previousExpiresAt)
     ON CONFLICT (org_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at,
       previous_secret = excluded.previous_secret, previous_expires_at = excluded.previous_expires_at`,
  );
  const rewrite = db.prepare('UPDATE org_webhook_secrets SET secret = ?, previous_secret = ? WHERE org_id = ?');
  return {
    async get(orgId) {
      const r = byOrg.get(orgId);
      return r && toStored(r);
    },
    all: async () => all.all().map(toStored),
    save: async (row) => void upsert.run(row),
    rewrite: async (orgId, secret, previousSecret) => void rewrite.run(secret, previousSecret, orgId),
  };
}
