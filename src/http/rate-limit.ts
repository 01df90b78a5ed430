import { rateLimit, ipKeyGenerator, type Store } from 'express-rate-limit';
import type { Request, RequestHandler } from 'express';
import { AppError } from './errors.js';

/**
 * One budget per client IP. A fresh limiter (and store) per createApp call, so test
 * apps never share counts. `max` 0 lifts the limit; `onLimited` counts each refusal (metrics).
 * `store` is where replicas share their counts (Redis or PostgreSQL); absent, this process's memory.
 */
export function createRateLimiter(windowMs: number, max: number, onLimited?: () => void, store?: Store): RequestHandler | undefined {
  if (max === 0) return undefined;
  return rateLimit({
    ...(store ? { store } : {}),
    windowMs,
    limit: max,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req: Request) => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown'),
    // TRUST_PROXY=true is an operator's explicit choice; its warning would only add noise.
    validate: { trustProxy: false, xForwardedForHeader: false },
    handler: (_req, _res, next) => {
      onLimited?.();
      next(new AppError('RATE_LIMITED', 'Too many requests, please retry later'));
    },
  });
}
