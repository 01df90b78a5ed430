import type { Db } from '../db/open.js';
import { SecretUnreadableError, type ResealReport, type SecretBox } from '../secrets/secret-box.js';

export interface OrgSecretRow {
  orgId: string;
  secret: string;
  createdAt: string;
  previousSecret: string | null;
  previousExpiresAt: string | null;
}

interface Row {
  org_id: string;
  secret: string;
  created_at: string;
  previous_secret: string | null;
  previous_expires_at: string | null;
}

/** Both columns of one org are sealed under the org's id: a value moved to another org's row does not open. */
const contextOf = (orgId: string) => `webhook-secret:${orgId}`;

/**
 * Org webhook secrets, sealed at rest by the SecretBox. Rows read back in plain text; a
 * value that cannot be opened throws SecretUnreadableError.
 */
export function createOrgSecretsStore(db: Db, box: SecretBox) {
  const byOrg = db.prepare<[string], Row>('SELECT * FROM org_webhook_secrets WHERE org_id = ?');
  const all = db.prepare<[], Row>('SELECT * FROM org_webhook_secrets ORDER BY org_id');
  const upsert = db.prepare(
    `INSERT INTO org_webhook_secrets (org_id, secret, created_at, previous_secret, previous_expires_at)
     VALUES (@orgId, @secret, @createdAt, @previousSecret, @previousExpiresAt)
     ON CONFLICT (org_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at,
       previous_secret = excluded.previous_secret, previous_expires_at = excluded.previous_expires_at`,
  );
  const rewrite = db.prepare('UPDATE org_webhook_secrets SET secret = ?, previous_secret = ? WHERE org_id = ?');

  const open = (stored: string | null, orgId: string) => (stored === null ? null : box.open(stored, contextOf(orgId)));
  const seal = (plain: string | null, orgId: string) => (plain === null ? null : box.seal(plain, contextOf(orgId)));

  return {
    get(orgId: string): OrgSecretRow | undefined {
      const r = byOrg.get(orgId);
      if (!r) return undefined;
      return { orgId, secret: open(r.secret, orgId)!, createdAt: r.created_at, previousSecret: open(r.previous_secret, orgId), previousExpiresAt: r.previous_expires_at };
    },
    /** Whether the org has a row, without opening it. */
    has: (orgId: string): boolean => byOrg.get(orgId) !== undefined,
    save(row: OrgSecretRow): void {
      upsert.run({ ...row, secret: seal(row.secret, row.orgId), previousSecret: seal(row.previousSecret, row.orgId) });
    },
    /** Start-up pass: seals values stored in plain text (with a key) and lists those that do not open. */
    reseal(): ResealReport {
      const report: ResealReport = { sealed: 0, unreadable: [] };
      for (const r of all.all()) {
        try {
          const secret = open(r.secret, r.org_id)!;
          const previous = open(r.previous_secret, r.org_id);
          const plain = !box.isSealed(r.secret) || (r.previous_secret !== null && !box.isSealed(r.previous_secret));
          if (box.enabled && plain) {
            rewrite.run(seal(secret, r.org_id), seal(previous, r.org_id), r.org_id);
            report.sealed++;
          }
        } catch (err) {
          if (!(err instanceof SecretUnreadableError)) throw err;
          report.unreadable.push(`webhook secret of ${r.org_id}`);
        }
      }
      return report;
    },
  };
}

export type OrgSecretsStore = ReturnType<typeof createOrgSecretsStore>;
