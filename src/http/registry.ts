import { hash } from 'node:crypto';
import { Router, type Request, type Response, type NextFunction } from 'express';
import { z, type ZodType } from 'zod';
import { AppError, type ErrorCode, type ErrorDetail } from './errors.js';
import { getScope, type OrgScope } from './org-scope.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Maps the first validation issue at `at` (a location such as `query`, or a path such as
 * `body.params.level`) to a contract error code. `when` narrows it to some raw values
 * (e.g. "missing or empty" → MISSING_FIELD while "too long" stays VALIDATION_ERROR).
 */
export interface InvalidRule {
  at: string;
  code: ErrorCode;
  message?: string;
  when?: (value: unknown) => boolean;
}

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  scope: OrgScope;
  actor: string;
  req: Request;
  res: Response;
}

export interface RouteDef<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  /** Express path below the mount point, e.g. `/agents/:id`. */
  path: string;
  summary: string;
  tag: string;
  params?: ZodType<P>;
  query?: ZodType<Q>;
  body?: ZodType<B>;
  /** Success status (default 200). */
  status?: number;
  /** Schema of the success body, for the OpenAPI document and response checks. */
  response?: ZodType;
  /** Error codes this operation can answer besides the cross-cutting ones. */
  errors?: ErrorCode[];
  invalid?: InvalidRule[];
  /** `instance` routes act on instance-wide resources (channels, scheduler). */
  scope?: 'org' | 'instance';
  /**
   * `operator`: when API_TOKENS is set, only a `*` token may call it; an org token is
   * refused (see operatorGuard). The one place a route is declared operator-only.
   */
  access?: 'operator';
  /**
   * The answer is a pure function of the request, the database and the current second:
   * it may be served from the read cache while neither has changed (see ReadCache).
   */
  cacheable?: boolean;
  /**
   * The success answer is a `text/event-stream` rather than JSON: the handler writes it and
   * keeps it open. Each event type's frame `data` schema, for the OpenAPI document.
   */
  stream?: Record<string, ZodType>;
  handler: (ctx: RouteContext<P, Q, B>) => unknown;
}

/** Keeps handler inference intact: the schemas type the context. */
export const defineRoute = <P = Record<string, never>, Q = Record<string, never>, B = undefined>(
  def: RouteDef<P, Q, B>,
): RouteDef => def as unknown as RouteDef;

const valueAt = (root: unknown, path: readonly PropertyKey[]): unknown => {
  let v: unknown = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k as string];
  }
  return v;
};

function toAppError(where: 'params' | 'query' | 'body', data: unknown, error: z.ZodError, rules: InvalidRule[]): AppError {
  const details: ErrorDetail[] = error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  const first = error.issues[0]!;
  const firstPath = details[0]!.path;
  const raw = valueAt(data, first.path);
  for (const rule of rules) {
    const hit = firstPath === rule.at || firstPath.startsWith(`${rule.at}.`);
    if (hit && (!rule.when || rule.when(raw))) {
      return new AppError(rule.code, rule.message ?? `Invalid ${firstPath}: ${first.message}`, details);
    }
  }
  return new AppError('VALIDATION_ERROR', `Invalid request: ${firstPath}: ${first.message}`, details);
}

/** Empty query values count as absent (`limit=` is no limit at all). */
function cleanQuery(q: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(q)) if (v !== '' && v !== undefined) out[k] = v;
  return out;
}

function parsePart<T>(where: 'params' | 'query' | 'body', schema: ZodType<T> | undefined, data: unknown, rules: InvalidRule[]): T {
  if (!schema) return undefined as T;
  const r = schema.safeParse(data);
  if (!r.success) throw toAppError(where, data, r.error, rules);
  return r.data;
}

/**
 * Serialized answers of cacheable reads, valid while the database stamp and the clock's
 * second are unchanged: a dashboard polling a quiet server costs a lookup, not a query.
 * Bounded: a full cache starts over.
 */
export interface ReadCache {
  /** Synchronous where the engine can answer so (SQLite): a hit then awaits nothing. */
  stamp: () => string | Promise<string>;
}

const CACHE_MAX = 512;

interface CachedAnswer {
  stamp: string;
  /** The UTF-8 bytes, encoded once: res.send() of a Buffer neither re-encodes nor re-parses the type. */
  body: Buffer;
  etag: string;
}

function sendCached(res: Response, status: number, answer: CachedAnswer): void {
  res.status(status).set('ETag', answer.etag).set('Content-Type', 'application/json; charset=utf-8').send(answer.body);
}

function cached(def: RouteDef, cache: ReadCache | undefined) {
  if (!def.cacheable || !cache || def.method !== 'get') return undefined;
  const entries = new Map<string, CachedAnswer>();
  return {
    get(key: string, stamp: string): CachedAnswer | undefined {
      const hit = entries.get(key);
      return hit && hit.stamp === stamp ? hit : undefined;
    },
    set(key: string, stamp: string, text: string): CachedAnswer {
      if (entries.size >= CACHE_MAX) entries.clear();
      // Computed once per answer rather than by Express on every send.
      const body = Buffer.from(text, 'utf8');
      const etag = `W/"${body.length.toString(16)}-${hash('sha1', body, 'base64').slice(0, 27)}"`;
      const answer = { stamp, body, etag };
      entries.set(key, answer);
      return answer;
    },
  };
}

function handle(def: RouteDef, cache: ReadCache | undefined) {
  const rules = def.invalid ?? [];
  const store = cached(def, cache);
  return async (req: Request, res: Response) => {
    const key = store ? `${getScope(res).orgId ?? '*'} ${req.originalUrl.replace(/^\/v1/, '')}` : '';
    let stamp = store ? cache!.stamp() : '';
    if (typeof stamp !== 'string') stamp = await stamp;
    const hit = store?.get(key, stamp);
    if (hit !== undefined) return sendCached(res, def.status ?? 200, hit);
    const params = parsePart('params', def.params, { ...req.params }, rules);
    const query = parsePart('query', def.query, cleanQuery(req.query as Record<string, unknown>), rules);
    // No body at all reads as an empty object, so "missing field" rules apply to it; a JSON
    // `null` body is a body, and not an object (VALIDATION_ERROR like any other primitive).
    const body = parsePart('body', def.body, req.body === undefined ? {} : req.body, rules);
    const result = await def.handler({ params, query, body, scope: getScope(res), actor: res.locals.actor as string, req, res });
    if (res.headersSent) return;
    const status = def.status ?? 200;
    if (status === 204) return void res.status(204).end();
    if (!store) return void res.status(status).json(result);
    sendCached(res, status, store.set(key, stamp, JSON.stringify(result)));
  };
}

/** Mounts every route, then a 405 with `Allow` for known paths asked with another method. */
export function buildRouter(defs: readonly RouteDef[], cache?: ReadCache): Router {
  const router = Router();
  const methodsByPath = new Map<string, Set<string>>();
  for (const def of defs) {
    router[def.method](def.path, handle(def, cache));
    const set = methodsByPath.get(def.path) ?? new Set<string>();
    set.add(def.method.toUpperCase());
    if (def.method === 'get') set.add('HEAD');
    methodsByPath.set(def.path, set);
  }
  for (const [path, methods] of methodsByPath) router.all(path, methodNotAllowed([...methods]));
  return router;
}

/** The answer for a known path asked with another method: 405 with `Allow`. */
export function methodNotAllowed(methods: readonly string[]) {
  const allow = methods.join(', ');
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('Allow', allow);
    next(new AppError('METHOD_NOT_ALLOWED', `Method not allowed. Allowed: ${allow}`));
  };
}
