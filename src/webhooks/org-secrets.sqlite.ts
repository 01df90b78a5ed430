import type { Db } from '../db/open.js';
import type { OrgSecretsRepository, StoredOrgSecret } from './webhooks.repository.js';

interface Row {
  org_id: string;
  secret: string;
  created_at: string;
  previous_secret: string | null;
  previous_expires_at: string | null;
}

const toStored = (r: Row): StoredOrgSecret => ({
  orgId: r.org_id,
  secret: r.secret,
  createdAt: r.created_at,
  previousSecret: r.previous_secret,
  previousExpiresAt: r.previous_expires_at,
});

export function createOrgSecretsSqlite(db: Db): OrgSecretsRepository {
  const byOrg = db.prepare<[string], Row>('SELECT * FROM org_webhook_secrets WHERE org_id = ?');
  const all = db.prepare<[], Row>('SELECT * FROM org_webhook_secrets ORDER BY org_id');
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
