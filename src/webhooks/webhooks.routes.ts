import express, { Router, type Request, type Response, type NextFunction, type RequestHandler } from 'express';
import { Webhooks } from '@octokit/webhooks';
import { z } from 'zod';
import { AppError } from '../http/errors.js';
import { extraOperation } from '../openapi/openapi.js';
import { HANDLED_EVENTS } from './ci-event.js';
import { OUTCOMES } from './reactions.js';
import type { WebhooksService } from './webhooks.service.js';

export const WEBHOOK_PATHS = ['/webhooks/github', '/v1/webhooks/github'];

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** §13 puts the event header first, so it is checked before a (possibly 25 MB) body is read. */
const requireEventHeader: RequestHandler = (req, _res, next) => {
  next(header(req, 'x-github-event') ? undefined : new AppError(400, 'MISSING_EVENT_HEADER', 'Missing X-GitHub-Event header'));
};

const invalidSignature = () => new AppError(401, 'INVALID_SIGNATURE', 'Missing or invalid X-Hub-Signature-256');

/**
 * Verifies X-Hub-Signature-256 over the exact bytes received. The library takes a
 * string, so a body that does not survive UTF-8 decoding unchanged is refused rather
 * than verified over something other than what was sent.
 */
async function verifySignature(webhooks: Webhooks, raw: Buffer, signature: string | undefined): Promise<void> {
  if (!signature || raw.length === 0) throw invalidSignature();
  const text = raw.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(raw)) throw invalidSignature();
  let ok = false;
  try {
    ok = await webhooks.verify(text, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw invalidSignature();
}

/** JSON, or form-encoded with the JSON in a `payload` field (GitHub's two content types). */
function parsePayload(req: Request, raw: Buffer): unknown {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  let text = raw.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') {
    const field = new URLSearchParams(text).get('payload');
    if (field === null) throw new AppError(400, 'INVALID_PAYLOAD', 'Form-encoded delivery without a payload field');
    text = field;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError(400, 'INVALID_JSON', 'Malformed JSON in webhook payload');
  }
}

export interface WebhookRouterOptions {
  service: WebhooksService;
  secret?: string;
  bodyLimit: string;
  limiter?: RequestHandler;
}

/** POST /webhooks/github with its own budget and raw-body parsing (mounted before any JSON parser). */
export function createWebhooksRouter({ service, secret, bodyLimit, limiter }: WebhookRouterOptions): Router {
  const webhooks = secret ? new Webhooks({ secret }) : undefined;
  const router = Router();
  if (limiter) router.use(limiter);
  router.post('/', requireEventHeader, express.raw({ type: () => true, limit: bodyLimit }), async (req: Request, res: Response) => {
    const event = header(req, 'x-github-event')!;
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (webhooks) await verifySignature(webhooks, raw, header(req, 'x-hub-signature-256'));
    const payload = parsePayload(req, raw);
    const deliveryId = header(req, 'x-github-delivery') || null;
    res.json(await service.process({ event, deliveryId, payload }));
  });
  router.all('/', (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Allow', 'POST');
    next(new AppError(405, 'METHOD_NOT_ALLOWED', 'Method not allowed. Allowed: POST'));
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

export const webhookOperation = extraOperation({
  method: 'post',
  path: '/webhooks/github',
  id: 'postGithubWebhook',
  summary: 'Receive a GitHub webhook delivery',
  tag: 'Webhooks',
  response: WebhookResponse,
  codes: ['MISSING_EVENT_HEADER', 'INVALID_SIGNATURE', 'INVALID_JSON', 'INVALID_PAYLOAD', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED', 'INTERNAL_ERROR'],
  headers: [
    headerParam('X-GitHub-Event', true, 'The event type'),
    headerParam('X-GitHub-Delivery', false, 'Delivery id (de-duplication)'),
    headerParam('X-Hub-Signature-256', false, 'HMAC-SHA256 of the raw body; required when GITHUB_WEBHOOK_SECRET is set'),
  ],
  body: {
    'application/json': { schema: { type: 'object' } },
    'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { payload: { type: 'string' } }, required: ['payload'] } },
  },
});
