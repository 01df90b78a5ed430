import { z, type ZodType } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../../src/http/errors.js';
import type { RouteDef } from '../../src/http/registry.js';
import { errorCodesOf } from '../../src/openapi/openapi.js';
import { HealthResponse } from '../../src/health/health.schemas.js';
import { WebhookResponse } from '../../src/webhooks/webhooks.routes.js';
import { DEPLOY_CODES } from '../../src/deploys/deploy-webhook.routes.js';
import { DeployReportResult } from '../../src/deploys/deploys.schemas.js';

/** Every response a test receives is checked against the documented contract; drift is a failure. */
export const violations: string[] = [];

const ErrorBody = z.strictObject({
  error: z.string().min(1),
  code: z.enum(ERROR_CODES),
  status: z.number().int(),
  details: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
});

interface Documented {
  method: string;
  re: RegExp;
  status: number;
  response?: ZodType;
  codes: ErrorCode[] | 'any';
}

const toRegex = (path: string) => new RegExp(`^${path.replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`);

const DELIVERY_CODES: ErrorCode[] = [
  'MISSING_EVENT_HEADER',
  'INVALID_SIGNATURE',
  'MISSING_DELIVERY_ID',
  'INVALID_JSON',
  'INVALID_PAYLOAD',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'SERVER_BUSY',
  'INTERNAL_ERROR',
  'DATABASE_UNAVAILABLE',
  'UNSUPPORTED_MEDIA_TYPE',
];

export function documentedOperations(routes: readonly RouteDef[]): Documented[] {
  const api: Documented[] = routes.flatMap((def) =>
    ['/api', '/v1/api'].map((prefix) => ({
      method: def.method,
      re: toRegex(prefix + def.path),
      status: def.status ?? 200,
      response: def.response,
      codes: errorCodesOf(def),
    })),
  );
  const extra: Documented[] = [
    { method: 'get', re: /^(\/v1)?\/health\/?$/, status: 200, response: HealthResponse, codes: ['INTERNAL_ERROR'] },
    {
      method: 'post',
      re: /^(\/v1)?\/webhooks\/github\/?$/,
      status: 200,
      response: WebhookResponse,
      codes: [...DELIVERY_CODES],
    },
    {
      method: 'post',
      re: /^(\/v1)?\/webhooks\/github\/[^/]+\/?$/,
      status: 200,
      response: WebhookResponse,
      codes: [...DELIVERY_CODES, 'ORG_NOT_FOUND'],
    },
    { method: 'post', re: /^(\/v1)?\/webhooks\/deploy\/?$/, status: 200, response: DeployReportResult, codes: [...DEPLOY_CODES] },
    { method: 'post', re: /^(\/v1)?\/webhooks\/deploy\/[^/]+\/?$/, status: 200, response: DeployReportResult, codes: [...DEPLOY_CODES, 'ORG_NOT_FOUND'] },
  ];
  return [...api, ...extra];
}

export interface CheckedResponse {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export function checkResponse(ops: Documented[], method: string, url: string, res: CheckedResponse): string | undefined {
  // The path as sent: URL parsing would resolve `%2e%2e` segments the server never sees resolved.
  const path = url.replace(/^https?:\/\/[^/]+/, '').split(/[?#]/, 1)[0]!;
  const where = `${method.toUpperCase()} ${path} → ${res.status}`;
  // 204 and 304 carry no body by definition (304: the client's cached copy is still good).
  if (res.status === 204 || res.status === 304 || method === 'head' || method === 'options') return undefined;
  const type = String(res.headers['content-type'] ?? '');
  const op = ops.find((o) => o.method === method && o.re.test(path));
  if (res.status >= 400) {
    if (!type.startsWith('application/json')) return `${where}: error body is not JSON (${type})`;
    const parsed = ErrorBody.safeParse(res.body);
    if (!parsed.success) return `${where}: error body off the contract: ${z.prettifyError(parsed.error)}`;
    if (parsed.data.status !== res.status) return `${where}: body status ${parsed.data.status} differs from HTTP status`;
    const known = op?.codes ?? ['NOT_FOUND', 'METHOD_NOT_ALLOWED', 'RATE_LIMITED', 'UNAUTHORIZED', 'FORBIDDEN', 'INVALID_ORG_ID', 'ORG_NOT_FOUND', 'INVALID_ACTOR_ID', 'INVALID_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_IN_PROGRESS', 'VALIDATION_ERROR', 'INTERNAL_ERROR', 'ORIGIN_NOT_ALLOWED'];
    if (known !== 'any' && !known.includes(parsed.data.code) && parsed.data.code !== 'METHOD_NOT_ALLOWED' && parsed.data.code !== 'NOT_FOUND') {
      return `${where}: code ${parsed.data.code} is not documented for this operation`;
    }
    return undefined;
  }
  if (!op) return undefined;
  if (res.status !== op.status) return `${where}: documented success status is ${op.status}`;
  if (op.response) {
    const parsed = op.response.safeParse(res.body);
    if (!parsed.success) return `${where}: body off the documented schema: ${z.prettifyError(parsed.error)}`;
  }
  return undefined;
}
