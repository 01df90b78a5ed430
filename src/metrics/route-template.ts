import type { Request } from 'express';
import { match } from 'path-to-regexp';

/** The one label every path that matches no declared route shares: never the raw path. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Mounts whose routers declare paths below them. `/v1/api` is the same operation as `/api`
 * (and `/v1/webhooks/github` as `/webhooks/github`), so both forms share one series.
 */
const MOUNT = /^\/(?:v1\/)?(api|webhooks\/github)(?=[/?#]|$)/i;
const V1 = /^\/v1(?=\/)/i;

/**
 * Names the route template of a finished request, for metric labels.
 *
 * The fast path reads the route Express matched (`req.route`, which stays set after the
 * handler ran, also when it threw) and the mount it sits under. A request refused before
 * any route matched (429, 401, a bad x-org-id, a preflight) has no `req.route`: its path is
 * matched against the declared templates (`templates`, full paths such as `/api/agents/:id`),
 * and anything else is `unmatched`. Every label therefore comes from a fixed set.
 */
export function createRouteTemplates(templates: readonly string[]) {
  const matchers = [...new Set(templates)].map((t) => ({ template: t, test: match(t, { decode: false }) }));

  function declared(url: string): string {
    const path = url.split(/[?#]/, 1)[0]!.replace(V1, '');
    for (const m of matchers) if (m.test(path)) return m.template;
    return UNMATCHED_ROUTE;
  }

  // A matched route belongs to one mount, so its template is worked out once per route.
  const ofRoute = new WeakMap<object, string>();
  function fromRoute(route: { path?: unknown }, originalUrl: string): string | undefined {
    const path = Array.isArray(route.path) ? (route.path[0] as unknown) : route.path;
    if (typeof path !== 'string') return undefined;
    const mount = MOUNT.exec(originalUrl);
    const full = (mount ? `/${mount[1]!.toLowerCase()}` : '') + path;
    return full.length > 1 && full.endsWith('/') ? full.slice(0, -1) : full;
  }

  return (req: Request): string => {
    const route = req.route as { path?: unknown } | undefined;
    if (route === undefined || route === null) return declared(req.originalUrl);
    let template = ofRoute.get(route);
    if (template === undefined) {
      template = fromRoute(route, req.originalUrl);
      if (template === undefined) return declared(req.originalUrl);
      ofRoute.set(route, template);
    }
    return template;
  };
}

/** `/webhooks/github/{orgId}` (OpenAPI) → `/webhooks/github/:orgId` (Express). */
export const fromOpenApiPath = (p: string): string => p.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
