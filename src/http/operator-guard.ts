import { Router, type Request, type Response, type NextFunction } from 'express';
import { AppError } from './errors.js';
import type { RouteDef } from './registry.js';

export const OPERATOR_REQUIRED = 'Operator token required';

/** The registry's operator-only routes: what the guard enforces and what tests expect. */
export const operatorOnly = (defs: readonly RouteDef[]): RouteDef[] => defs.filter((d) => d.access === 'operator');

/**
 * Refuses org-bound tokens on operator-only routes. Mounted right after bearer auth and
 * before anything that reads the request further (x-org-id, body, idempotency key, route
 * parameters), so the refusal is the same whatever the request names: it reveals neither
 * whether a task or channel exists nor whether the body was valid, and nothing is recorded.
 */
export function operatorGuard(defs: readonly RouteDef[]): Router {
  const router = Router();
  const refuse = (_req: Request, res: Response, next: NextFunction) => {
    const tokenOrg = res.locals.tokenOrg as string | undefined;
    // No tokenOrg: the API is open (no API_TOKENS), where every caller is the operator.
    if (tokenOrg === undefined || tokenOrg === '*') return next();
    next(new AppError('FORBIDDEN', OPERATOR_REQUIRED));
  };
  for (const def of operatorOnly(defs)) router[def.method](def.path, refuse);
  return router;
}
