import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { Router, type Request, type Response, type NextFunction, type RequestHandler } from 'express';
import { z } from 'zod';
import { AppError } from '../http/errors.js';
import { extraOperation } from '../openapi/openapi.js';
import { HANDLED_EVENTS } from './ci-event.js';
import { OUTCOMES } from './reactions.js';
import { readWebhookBody, type InflightBudget } from './webhook-body.js';
import { createSignatureVerifier, invalidSignature, parsePayload } from './webhook-payload.js';
import type { WebhooksService } from './webhooks.service.js';
import type { Metrics, WebhookOutcome } from '../metrics/metrics.js';

export const WEBHOOK_PATHS = ['/webhooks/github', '/v1/webhooks/github'];

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** The event header is checked before a (possibly 25 MB) body is read. */
const requireEventHeader: RequestHandler = (req, _res, next) => {
  next(header(req, 'x-github-event') ? undefined : new AppError('MISSING_EVENT_HEADER', 'Missing X-GitHub-Event header'));
};

/** Event names GitHub may send are open-ended: metrics keep the ones we know and `other`. */
const eventLabel = (event: string | undefined): string =>
  event === undefined ? 'none' : event === 'ping' || (HANDLED_EVENTS as readonly string[]).includes(event) ? event : 'other';

const refusal = (err: unknown): WebhookOutcome => {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status < 500 ? 'rejected' : 'failed';
};

/** Where a delivery came in, and which secrets its signature must match (none: unsigned is fine). */
interface Target {
  orgId: string | null;
  required: boolean;
  secrets: readonly string[];
}

export interface WebhookRouterOptions {
  service: WebhooksService;
  /** GITHUB_WEBHOOK_SECRET: the instance URL's secret. */
  secret?: string;
  /** WEBHOOK_BODY_LIMIT in bytes. */
  bodyLimit: number;
  /** Webhook body bytes held at once across the process (WEBHOOK_INFLIGHT_MB). */
  budget: InflightBudget;
  orgExists: (orgId: string) => boolean | Promise<boolean>;
  /** An org URL's secrets: the current one, and the previous one during its grace hour. */
  orgSecrets: (orgId: string) => Promise<string[]>;
  limiter?: RequestHandler;
  /** Counts every answered delivery by event and outcome (the outcomes are listed in metrics.ts). */
  metrics?: Pick<Metrics, 'webhookDelivery'>;
}

/**
 * POST /webhooks/github (instance URL) and /webhooks/github/:orgId (org URL), with their own
 * budget and body reading (mounted before any JSON parser). Order of checks: event header,
 * org (404), signature header present (401, before a byte of the body is read), body size
 * and in-flight cap (413, 503), signature (401), delivery id when signed (400), JSON (400),
 * then the service's own (payload, duplicate, replay, event type, linked repo).
 */
export function createWebhooksRouter(o: WebhookRouterOptions): Router {
  const verify = createSignatureVerifier();
  const instance: Target = { orgId: null, required: o.secret !== undefined, secrets: o.secret ? [o.secret] : [] };

  async function receive(req: Request, res: Response, target: Target): Promise<void> {
    const event = header(req, 'x-github-event')!;
    const signature = header(req, 'x-hub-signature-256');
    if (target.required && (!signature || target.secrets.length === 0)) throw invalidSignature();
    const raw = await readWebhookBody(req, res, o.bodyLimit, o.budget);
    const text = isUtf8(raw) ? raw.toString('utf8') : null;
    if (target.required) await verify(target.secrets, raw, text, signature);
    const deliveryId = header(req, 'x-github-delivery') || null;
    if (target.required && deliveryId === null) {
      throw new AppError('MISSING_DELIVERY_ID', 'Missing X-GitHub-Delivery header: signed deliveries must carry their delivery id');
    }
    const payload = parsePayload(req.headers['content-type'], raw, text);
    const bodySha256 = createHash('sha256').update(raw).digest('hex');
    const result = await o.service.process({ event, deliveryId, payload, orgId: target.orgId, bodySha256 });
    o.metrics?.webhookDelivery('github', eventLabel(event), result.processed ? 'processed' : result.duplicate ? 'duplicate' : 'ignored');
    res.json(result);
  }

  const router = Router();
  if (o.limiter) router.use(o.limiter);
  router.post('/', requireEventHeader, (req: Request, res: Response) => receive(req, res, instance));
  router.post('/:orgId', requireEventHeader, async (req: Request, res: Response) => {
    const orgId = req.params.orgId as string;
    if (!(await o.orgExists(orgId))) throw new AppError('ORG_NOT_FOUND', 'Organization not found');
    return receive(req, res, { orgId, required: true, secrets: await o.orgSecrets(orgId) });
  });
  router.all(['/', '/:orgId'], (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Allow', 'POST');
    next(new AppError('METHOD_NOT_ALLOWED', 'Method not allowed. Allowed: POST'));
  });
  // A refused delivery (signature, body, rate limit, a failure) is counted on its way to the error handler.
  router.use((err: unknown, req: Request, _res: Response, next: NextFunction) => {
    if (req.method === 'POST') o.metrics?.webhookDelivery('github', eventLabel(header(req, 'x-github-event')), refusal(err));
    next(err);
  });
  return router;
}

const Outcome = z.object({
  projectId: z.string(),
  agentId: z.string().nullable(),
  outcome: z.enum(OUTCOMES),
  spawnedAgentId: z.string().nullable(),
});

export const WebhookResponse = z.object({
  received: z.literal(true),
  event: z.string(),
  processed: z.boolean(),
  action: z.string().nullable().optional(),
  repo: z.string().optional(),
  duplicate: z.literal(true).optional(),
  reason: z.string().optional(),
  ciEvent: z
    .object({
      type: z.enum(HANDLED_EVENTS),
      repo: z.string(),
      branch: z.string().nullable(),
      status: z.string().nullable(),
      conclusion: z.string().nullable(),
      details: z.string(),
    })
    .optional(),
  outcomes: z.array(Outcome).optional(),
});

const headerParam = (name: string, required: boolean, description: string) => ({ name, in: 'header', required, description, schema: { type: 'string' } });

const DELIVERY_CODES = [
  'MISSING_EVENT_HEADER',
  'INVALID_SIGNATURE',
  'MISSING_DELIVERY_ID',
  'INVALID_JSON',
  'INVALID_PAYLOAD',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'SERVER_BUSY',
  'INTERNAL_ERROR',
  'DATABASE_UNAVAILABLE',
] as const;

const deliveryBody = {
  'application/json': { schema: { type: 'object' } },
  'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { payload: { type: 'string' } }, required: ['payload'] } },
};

export const webhookOperation = extraOperation({
  method: 'post',
  path: '/webhooks/github',
  id: 'postGithubWebhook',
  summary: 'Receive a GitHub webhook delivery at the instance URL',
  tag: 'Webhooks',
  response: WebhookResponse,
  codes: [...DELIVERY_CODES],
  headers: [
    headerParam('X-GitHub-Event', true, 'The event type'),
    headerParam('X-GitHub-Delivery', false, 'Delivery id (de-duplication); required when GITHUB_WEBHOOK_SECRET is set'),
    headerParam('X-Hub-Signature-256', false, 'HMAC-SHA256 of the raw body; required when GITHUB_WEBHOOK_SECRET is set'),
  ],
  body: deliveryBody,
});

export const orgWebhookOperation = extraOperation({
  method: 'post',
  path: '/webhooks/github/{orgId}',
  id: 'postOrgGithubWebhook',
  summary: "Receive a GitHub webhook delivery at an org's own URL, signed with the org's secret; reaches only that org's projects",
  tag: 'Webhooks',
  response: WebhookResponse,
  codes: [...DELIVERY_CODES, 'ORG_NOT_FOUND'],
  headers: [
    { name: 'orgId', in: 'path', required: true, description: 'The organization id', schema: { type: 'string' } },
    headerParam('X-GitHub-Event', true, 'The event type'),
    headerParam('X-GitHub-Delivery', true, 'Delivery id (de-duplication and replay protection)'),
    headerParam('X-Hub-Signature-256', true, "HMAC-SHA256 of the raw body with the org's webhook secret"),
  ],
  body: deliveryBody,
});
