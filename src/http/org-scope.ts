import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { AppError } from './errors.js';

/**
 * Who a request acts for. `orgId` null is the operator's unscoped view: reads see
 * every org, creations go to `default`.
 */
export interface OrgScope {
  orgId: string | null;
}

export const DEFAULT_ORG = 'default';

export const ORG_ID_PATTERN = /^[a-z0-9-]{1,64}$/;
const ACTOR_PATTERN = /^[\x20-\x7e]{1,128}$/;

/** The org a write goes to: the scoped org, else `default`. */
export const writeOrg = (scope: OrgScope): string => scope.orgId ?? DEFAULT_ORG;

/** True when a row of `orgId` is visible in `scope`. */
export const visibleIn = (scope: OrgScope, orgId: string): boolean => scope.orgId === null || scope.orgId === orgId;

export const getScope = (res: Response): OrgScope => (res.locals.scope as OrgScope | undefined) ?? { orgId: null };

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/**
 * Validates `x-org-id` (format, then existence) and `x-actor-id`, and records the
 * request's scope and actor. Runs on every /api route (never on /health).
 */
export function orgScope(orgExists: (id: string) => boolean | Promise<boolean>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const orgId = header(req, 'x-org-id');
    if (orgId !== undefined && !ORG_ID_PATTERN.test(orgId)) {
      return next(new AppError('INVALID_ORG_ID', 'Invalid x-org-id header: use 1-64 lowercase letters, digits and hyphens'));
    }
    // A token bound to an org acts only in it; `*` (operator) tokens and no tokens at all
    // leave the header in charge. Refused before the existence check, so a bound token
    // cannot learn which other orgs exist.
    const tokenOrg = res.locals.tokenOrg as string | undefined;
    const boundOrg = tokenOrg === '*' ? undefined : tokenOrg;
    if (boundOrg !== undefined && orgId !== undefined && orgId !== boundOrg) {
      return next(new AppError('FORBIDDEN', 'This token is not allowed to act in that organization'));
    }
    const acting = orgId ?? boundOrg;
    const scoped = (found: boolean) => {
      if (!found) return next(new AppError('ORG_NOT_FOUND', 'Organization not found'));
      res.locals.scope = { orgId: acting ?? null } satisfies OrgScope;
      const actor = header(req, 'x-actor-id');
      if (actor !== undefined && (!ACTOR_PATTERN.test(actor) || actor.trim() === '')) {
        return next(new AppError('INVALID_ACTOR_ID', 'Invalid x-actor-id header: use 1-128 printable characters'));
      }
      res.locals.actor = actor ?? 'api';
      next();
    };
    // A known org answers synchronously: no promise on the hot path.
    const found = acting === undefined ? true : orgExists(acting);
    if (typeof found === 'boolean') return scoped(found);
    found.then(scoped, next);
  };
}
