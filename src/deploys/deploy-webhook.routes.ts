import { createHmac, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type Response, type NextFunction, type RequestHandler } from 'express';
import { AppError, type ErrorCode } from '../http/errors.js';
import { isSoundJsonText } from '../http/json-text.js';
import { extraOperation } from '../openapi/openapi.js';
import { readWebhookBody, type InflightBudget } from '../webhooks/webhook-body.js';
import { DeployBody, DeployReportResult } from './deploys.schemas.js';
import type { DeploysService } from './deploys.service.js';

export const DEPLOY_WEBHOOK_PATHS = ['/webhooks/deploy', '/v1/webhooks/deploy'];
const DEPLOY_ID_MAX = 255;

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const invalidSignature = () => new AppError('INVALID_SIGNATURE', 'Missing or invalid X-Deploy-Signature');

/** `sha256=<64 hex>` of the exact bytes received, with any of the secrets (hex in either case). */
export function signatureMatches(secrets: readonly string[], raw: Buffer, signature: string): boolean {
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(signature.trim());
  if (!m) return false;
  const given = Buffer.from(m[1]!, 'hex');
  let ok = false;
  // Every secret is tried, so the timing does not tell which one matched.
  for (const secret of secrets) if (timingSafeEqual(given, createHmac('sha256', secret).update(raw).digest())) ok = true;
  return ok;
}

function parseBody(req: Request, raw: Buffer): DeployBody {
  let value: unknown = {};
  if (raw.length > 0) {
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    if (!isSoundJsonText(raw)) throw new AppError('INVALID_JSON', 'Malformed JSON in deploy report');
    try {
      value = JSON.parse(raw.toString('utf8')) as unknown;
    } catch {
      throw new AppError('INVALID_JSON', 'Malformed JSON in deploy report');
    }
  }
  const r = DeployBody.safeParse(value);
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message }));
  throw new AppError('VALIDATION_ERROR', `Invalid request: ${details[0]!.path}: ${details[0]!.message}`, details);
}

interface Target {
  orgId: string | null;
  required: boolean;
  secrets: readonly string[];
}

export interface DeployWebhookOptions {
  service: DeploysService;
  /** DEPLOY_WEBHOOK_SECRET: the instance URL's secret. */
  secret?: string;
  bodyLimit: number;
  budget: InflightBudget;
  orgExists: (orgId: string) => boolean | Promise<boolean>;
  orgSecrets: (orgId: string) => Promise<string[]>;
  /** The webhook budget, shared with /webhooks/github. */
  limiter?: RequestHandler;
}

/**
 * POST /webhooks/deploy (instance URL) and /webhooks/deploy/:orgId (the org's webhook
 * secret). Order of checks: org (404), signature header present (401, before the body is
 * read), body size and in-flight cap (413, 503), signature over the raw bytes (401),
 * X-Deploy-Id length, content type (415), JSON (400), body (400), then the service's own
 * (duplicate, project 404/409).
 */
export function createDeployWebhookRouter(o: DeployWebhookOptions): Router {
  const instance: Target = { orgId: null, required: o.secret !== undefined, secrets: o.secret ? [o.secret] : [] };

  async function receive(req: Request, res: Response, target: Target): Promise<void> {
    const signature = header(req, 'x-deploy-signature');
    if (target.required && (!signature || target.secrets.length === 0)) throw invalidSignature();
    const raw = await readWebhookBody(req, res, o.bodyLimit, o.budget);
    if (target.required && !signatureMatches(target.secrets, raw, signature!)) throw invalidSignature();
    const deployId = header(req, 'x-deploy-id') || null;
    if (deployId !== null && (deployId.length > DEPLOY_ID_MAX || !/^[\x21-\x7e]+$/.test(deployId))) {
      throw new AppError('VALIDATION_ERROR', `X-Deploy-Id must be 1-${DEPLOY_ID_MAX} printable characters without spaces`);
    }
    const body = parseBody(req, raw);
    res.json(await o.service.report({ orgId: target.orgId, deployId, body }));
  }

  const router = Router();
  if (o.limiter) router.use(o.limiter);
  router.post('/', (req: Request, res: Response) => receive(req, res, instance));
  router.post('/:orgId', async (req: Request, res: Response) => {
    const orgId = req.params.orgId as string;
    if (!(await o.orgExists(orgId))) throw new AppError('ORG_NOT_FOUND', 'Organization not found');
    return receive(req, res, { orgId, required: true, secrets: await o.orgSecrets(orgId) });
  });
  router.all(['/', '/:orgId'], (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Allow', 'POST');
    next(new AppError('METHOD_NOT_ALLOWED', 'Method not allowed. Allowed: POST'));
  });
  return router;
}

export const DEPLOY_CODES: ErrorCode[] = [
  'INVALID_SIGNATURE',
  'INVALID_JSON',
  'VALIDATION_ERROR',
  'PROJECT_NOT_FOUND',
  'AMBIGUOUS_PROJECT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'SERVER_BUSY',
  'INTERNAL_ERROR',
];

const headerParam = (name: string, required: boolean, description: string) => ({ name, in: 'header', required, description, schema: { type: 'string' } });

const reportBody = { 'application/json': { schema: DeployBody.toJSONSchema({ io: 'input', unrepresentable: 'any' }) } };

export const deployWebhookOperation = extraOperation({
  method: 'post',
  path: '/webhooks/deploy',
  id: 'postDeployReport',
  summary: 'Report a deployment from a CI job (instance URL; also at /v1/webhooks/deploy)',
  tag: 'Webhooks',
  response: DeployReportResult,
  codes: DEPLOY_CODES,
  headers: [
    headerParam('X-Deploy-Signature', false, 'sha256=<hex HMAC-SHA256 of the raw body>; required when DEPLOY_WEBHOOK_SECRET is set'),
    headerParam('X-Deploy-Id', false, 'Report id: a repeated one is answered as a duplicate and not processed again'),
  ],
  body: reportBody,
});

export const orgDeployWebhookOperation = extraOperation({
  method: 'post',
  path: '/webhooks/deploy/{orgId}',
  id: 'postOrgDeployReport',
  summary: "Report a deployment to an org's own URL, signed with the org's webhook secret; resolves projects of that org only",
  tag: 'Webhooks',
  response: DeployReportResult,
  codes: [...DEPLOY_CODES, 'ORG_NOT_FOUND'],
  headers: [
    { name: 'orgId', in: 'path', required: true, description: 'The organization id', schema: { type: 'string' } },
    headerParam('X-Deploy-Signature', true, "sha256=<hex HMAC-SHA256 of the raw body> with the org's webhook secret"),
    headerParam('X-Deploy-Id', false, 'Report id: a repeated one is answered as a duplicate and not processed again'),
  ],
  body: reportBody,
});
