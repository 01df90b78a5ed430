import express, { Router, type Request, type Response, type NextFunction, type RequestHandler } from 'express';
import { Webhooks } from '@octokit/webhooks';
import { AppError } from '../http/errors.js';
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
    res.json(service.process({ event, deliveryId, payload }));
  });
  router.all('/', (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Allow', 'POST');
    next(new AppError(405, 'METHOD_NOT_ALLOWED', 'Method not allowed. Allowed: POST'));
  });
  return router;
}
