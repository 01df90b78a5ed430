import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { UnitOfWork } from '../db/engine.js';
import type { Logger } from '../logger.js';
import type { AuditService } from '../audit/audit.service.js';
import { AppError } from '../http/errors.js';
import type { OrgScope } from '../http/org-scope.js';
import { SecretUnreadableError } from '../secrets/secret-box.js';
import type { OrgSecretsStore } from './org-secrets.store.js';
import type { WebhooksRepository } from './webhooks.repository.js';

/** How long the previous secret keeps verifying after a rotation. */
export const SECRET_GRACE_MS = 3_600_000;
export const ORG_WEBHOOK_EVENTS = ['push', 'pull_request', 'workflow_run', 'check_run'];
const DAY_MS = 86_400_000;

export interface OrgWebhooksDeps {
  uow: UnitOfWork;
  store: OrgSecretsStore;
  audit: AuditService;
  clock: Clock;
  logger: Logger;
  /** Public base URL (no trailing slash); URLs are relative without it. */
  baseUrl: string | undefined;
}

export const orgRequired = () =>
  new AppError('ORG_REQUIRED', 'This operation needs an organization: send x-org-id or use a token bound to an org');

/** The org a request acts in; unscoped callers (no header, operator token) must name one. */
const requireOrg = (scope: OrgScope): string => scope.orgId ?? (() => { throw orgRequired(); })();

export function createOrgWebhooksService({ uow, store, audit, clock, logger, baseUrl }: OrgWebhooksDeps) {
  const deliveries = (): WebhooksRepository => uow.current().webhooks;
  const base = baseUrl ?? '';
  const urlFor = (orgId: string) => `${base}/webhooks/github/${orgId}`;
  const deployUrlFor = (orgId: string) => `${base}/webhooks/deploy/${orgId}`;

  /** The row in plain text, or undefined when there is none or it cannot be opened (logged, never shown). */
  async function readable(orgId: string) {
    try {
      return await store.get(orgId);
    } catch (err) {
      if (!(err instanceof SecretUnreadableError)) throw err;
      logger.error({ orgId }, 'the org webhook secret cannot be decrypted with SECRETS_KEY; signed deliveries to its URL are refused');
      return undefined;
    }
  }

  const rotateTx = (orgId: string, actor: string) =>
    uow.run(async () => {
    const now = clock.now();
    const createdAt = now.toISOString();
    const current = await readable(orgId);
    const previousExpiresAt = current ? new Date(now.getTime() + SECRET_GRACE_MS).toISOString() : null;
    const secret = randomBytes(32).toString('hex');
    await store.save({ orgId, secret, createdAt, previousSecret: current?.secret ?? null, previousExpiresAt });
    await audit.append({
      orgId,
      actorType: 'user',
      actorId: actor,
      action: 'webhook_secret_rotate',
      // Where deliveries go and how long the old secret lasts; never a secret.
      metadata: { url: urlFor(orgId), previousSecretValidUntil: previousExpiresAt },
    });
    return { orgId, secret, url: urlFor(orgId), createdAt };
  });

  return {
    urlFor,

    /** A fresh secret, shown in this answer only; the previous one keeps working for an hour. */
    rotate: (scope: OrgScope, actor: string) => rotateTx(requireOrg(scope), actor),

    async describe(scope: OrgScope) {
      const orgId = requireOrg(scope);
      const since = new Date(clock.now().getTime() - DAY_MS).toISOString();
      return {
        orgId,
        url: urlFor(orgId),
        deployUrl: deployUrlFor(orgId),
        secretConfigured: await store.has(orgId),
        lastDeliveryAt: await deliveries().lastReceiptAt(orgId),
        deliveries24h: await deliveries().receiptsSince(orgId, since),
        events: ORG_WEBHOOK_EVENTS,
      };
    },

    /** The secrets a delivery to the org's URL may be signed with right now (none: every delivery is refused). */
    async secretsFor(orgId: string): Promise<string[]> {
      const row = await readable(orgId);
      if (!row) return [];
      const inGrace = row.previousSecret !== null && row.previousExpiresAt !== null && clock.now().toISOString() < row.previousExpiresAt;
      return inGrace ? [row.secret, row.previousSecret!] : [row.secret];
    },

    /** The URL and secret of a repo webhook the server creates for a project of this org, when the org has a secret. */
    async hookFor(orgId: string): Promise<{ url: string; secret: string } | undefined> {
      const row = await readable(orgId);
      return row && { url: urlFor(orgId), secret: row.secret };
    },
  };
}

export type OrgWebhooksService = ReturnType<typeof createOrgWebhooksService>;
