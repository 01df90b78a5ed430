import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { AppError } from './errors.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Refuses state-changing requests sent by a page on an origin outside CORS_ORIGINS. CORS
 * alone does not stop them: a bodiless POST is a "simple" request that a browser sends
 * without a preflight, and the server acts before the browser hides the answer.
 * Requests without Origin (curl, CI, server-to-server) are not browser requests and pass.
 * Origins compare exactly as the CORS middleware compares them, so an origin that may read
 * answers may also write. Undefined when CORS_ORIGINS is `*` (every origin is allowed).
 */
export function originCheck(allowed: '*' | readonly string[]): RequestHandler | undefined {
  if (allowed === '*') return undefined;
  const origins = new Set(allowed);
  return (req: Request, _res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (!STATE_CHANGING.has(req.method) || origin === undefined || origins.has(origin)) return next();
    next(new AppError('ORIGIN_NOT_ALLOWED', 'Cross-site request refused: this Origin is not allowed to change anything'));
  };
}
