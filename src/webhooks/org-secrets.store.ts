import { SecretUnreadableError, type ResealReport, type SecretBox } from '../secrets/secret-box.js';
import type { OrgSecretsRepository } from './webhooks.repository.js';

export interface OrgSecretRow {
  orgId: string;
  secret: string;
  createdAt: string;
  previousSecret: string | null;
  previousExpiresAt: string | null;
}

/** Both columns of one org are sealed under the org's id: a value moved to another org's row does not open. */
const contextOf = (orgId: string) => `webhook-secret:${orgId}`;

/**
 * Org webhook secrets, sealed at rest by the SecretBox over the engine's repository. Rows
 * read back in plain text; a value that cannot be opened rejects with SecretUnreadableError.
 */
export function createOrgSecretsStore(repo: () => OrgSecretsRepository, box: SecretBox) {
  const open = (stored: string | null, orgId: string) => (stored === null ? null : box.open(stored, contextOf(orgId)));
  const seal = (plain: string | null, orgId: string) => (plain === null ? null : box.seal(plain, contextOf(orgId)));

  return {
    async get(orgId: string): Promise<OrgSecretRow | undefined> {
      const r = await repo().get(orgId);
      if (!r) return undefined;
      return { orgId, secret: open(r.secret, orgId)!, createdAt: r.createdAt, previousSecret: open(r.previousSecret, orgId), previousExpiresAt: r.previousExpiresAt };
    },
    /** Whether the org has a row, without opening it. */
    has: async (orgId: string): Promise<boolean> => (await repo().get(orgId)) !== undefined,
    save: (row: OrgSecretRow): Promise<void> => repo().save({ ...row, secret: seal(row.secret, row.orgId)!, previousSecret: seal(row.previousSecret, row.orgId) }),
    /** Start-up pass: seals values stored in plain text (with a key) and lists those that do not open. */
    async reseal(): Promise<ResealReport> {
      const report: ResealReport = { sealed: 0, unreadable: [] };
      for (const r of await repo().all()) {
        try {
          const secret = open(r.secret, r.orgId)!;
          const previous = open(r.previousSecret, r.orgId);
          const plain = !box.isSealed(r.secret) || (r.previousSecret !== null && !box.isSealed(r.previousSecret));
          if (box.enabled && plain) {
            await repo().rewrite(r.orgId, seal(secret, r.orgId)!, seal(previous, r.orgId));
            report.sealed++;
          }
        } catch (err) {
          if (!(err instanceof SecretUnreadableError)) throw err;
          report.unreadable.push(`webhook secret of ${r.orgId}`);
        }
      }
      return report;
    },
  };
}

export type OrgSecretsStore = ReturnType<typeof createOrgSecretsStore>;
