import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response, NextFunction } from 'express';
import { AppError } from '../http/errors.js';
import { errorResponses, type ExtraOperation } from '../openapi/openapi.js';
import type { PrometheusMetrics } from './prometheus.js';

export const METRICS_PATH = '/metrics';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * GET /metrics: the Prometheus exposition. Outside /api and its limiter (a scraper must not
 * spend, or be refused by, the clients' budget), and needs `Authorization: Bearer
 * <METRICS_TOKEN>` when that is set. The token is compared as a SHA-256 digest with
 * timingSafeEqual, so neither its length nor a matching prefix shows in the timing.
 */
export function metricsHandler(metrics: PrometheusMetrics, token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return async (req: Request, res: Response, next: NextFunction) => {
    if (expected) {
      const m = /^Bearer[ ]+([\x21-\x7e]+)\s*$/i.exec(req.headers.authorization ?? '');
      if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
        return next(new AppError('UNAUTHORIZED', 'Missing or invalid metrics token'));
      }
    }
    const text = await metrics.scrape();
    res.setHeader('Cache-Control', 'no-store');
    res.type(metrics.contentType).send(text);
  };
}

export const metricsOperation: ExtraOperation = {
  method: 'get',
  path: METRICS_PATH,
  op: {
    operationId: 'getMetrics',
    summary: 'Prometheus metrics of this process (never rate-limited); needs the METRICS_TOKEN bearer token when it is set',
    tags: ['Platform'],
    security: [{}, { bearer: [] }],
    responses: {
      '200': { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
      ...errorResponses(['UNAUTHORIZED', 'INTERNAL_ERROR']),
    },
  },
};
