import express, { type Express } from 'express';
import cors from 'cors';
import { pinoHttp } from 'pino-http';
import type { AppDeps } from './deps.js';
import { createServices, type Services } from './services.js';
import { requestContext } from './http/request-id.js';
import { createRateLimiter } from './http/rate-limit.js';
import { jsonBody } from './http/body.js';
import { bearerAuth } from './http/auth.js';
import { idempotency } from './idempotency/idempotency.middleware.js';
import { orgScope } from './http/org-scope.js';
import { operatorGuard } from './http/operator-guard.js';
import { originCheck } from './http/origin-check.js';
import { buildRouter, methodNotAllowed, type RouteDef } from './http/registry.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { auditRoutes } from './audit/audit.routes.js';
import { orgsRoutes } from './orgs/orgs.routes.js';
import { agentsRoutes } from './agents/agents.routes.js';
import { projectsRoutes } from './projects/projects.routes.js';
import { createWebhooksRouter, WEBHOOK_PATHS, orgWebhookOperation, webhookOperation } from './webhooks/webhooks.routes.js';
import { orgWebhooksRoutes } from './webhooks/org-webhooks.routes.js';
import { deploysRoutes } from './deploys/deploys.routes.js';
import { approvalsRoutes } from './approvals/approvals.routes.js';
import { createDeployWebhookRouter, DEPLOY_WEBHOOK_PATHS, deployWebhookOperation, orgDeployWebhookOperation } from './deploys/deploy-webhook.routes.js';
import { createInflightBudget, parseByteSize } from './webhooks/webhook-body.js';
import { buildOpenApi, extraOperation, type ExtraOperation } from './openapi/openapi.js';
import { createDocsRouter, docsOperations } from './openapi/openapi.routes.js';
import { HealthResponse } from './health/health.schemas.js';
import { schedulerRoutes } from './scheduler/scheduler.routes.js';
import { channelsRoutes } from './channels/channels.routes.js';
import { memoryRoutes } from './memory/memory.routes.js';
import { identityRoutes } from './identity/identity.routes.js';
import { membersRoutes } from './identity/members.routes.js';
import { createPrometheusMetrics } from './metrics/prometheus.js';
import { httpMetricsMiddleware } from './metrics/http-metrics.js';
import { createRouteTemplates, fromOpenApiPath } from './metrics/route-template.js';
import { METRICS_PATH, metricsHandler, metricsOperation } from './metrics/metrics.routes.js';
import { statusRoutes } from './status/status.routes.js';
import { eventsRoutes } from './events/events.routes.js';

export const API_PREFIXES = ['/api', '/v1/api'];

/** Every /api route, from every domain: the single source for routing and the OpenAPI document. */
export function apiRoutes(s: Services): RouteDef[] {
  return [
    ...agentsRoutes(s.agents),
    ...projectsRoutes(s.projects),
    ...auditRoutes(s.audit),
    ...orgsRoutes(s.orgs),
    ...schedulerRoutes(s.scheduler),
    ...membersRoutes(s.members),
    ...channelsRoutes(s.channels, s.webMessages),
    ...memoryRoutes(s.memory),
    ...identityRoutes(s.identity),
    ...orgWebhooksRoutes(s.orgWebhooks),
    ...deploysRoutes(s.deploys),
    ...approvalsRoutes(s.approvals),
    ...statusRoutes(s.status),
    ...eventsRoutes(s.events),
  ];
}

/** What is served outside the /api registry, for the OpenAPI document. */
export const extraOperations: ExtraOperation[] = [
  extraOperation({
    method: 'get',
    path: '/health',
    id: 'getHealth',
    summary: 'Health of the server (never rate-limited); also at /v1/health',
    tag: 'Platform',
    response: HealthResponse,
    codes: ['INTERNAL_ERROR'],
  }),
  webhookOperation,
  orgWebhookOperation,
  deployWebhookOperation,
  orgDeployWebhookOperation,
  ...docsOperations,
  metricsOperation,
];

/** Every path template the app serves, for metric labels (the docs' static files share one). */
const routeTemplates = (routes: readonly RouteDef[]): string[] => [
  ...routes.map((r) => API_PREFIXES[0] + r.path),
  ...extraOperations.map((o) => fromOpenApiPath(o.path)),
  '/docs/*file',
];

export interface BuiltApp {
  app: Express;
  services: Services;
  routes: RouteDef[];
  openapi: Record<string, unknown>;
}

/** Builds the Express app from injected deps; never listens and never reads process.env. */
export async function createApp(deps: AppDeps): Promise<BuiltApp> {
  const { config, logger } = deps;
  const metrics = createPrometheusMetrics();
  const services = await createServices(deps, metrics.port);
  const routes = apiRoutes(services);
  // Built on first use (the docs or a test), not at start-up: it is only ever read.
  let openapi: Record<string, unknown> | undefined;
  const document = () => (openapi ??= buildOpenApi(routes, deps.version, extraOperations));
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  app.set('query parser', 'simple');

  app.use(requestContext);
  app.use(httpMetricsMiddleware(metrics.http, createRouteTemplates(routeTemplates(routes))));
  app.use(
    cors({
      origin: config.CORS_ORIGINS === '*' ? '*' : config.CORS_ORIGINS,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Content-Type', 'x-org-id', 'x-actor-id', 'Authorization', 'Idempotency-Key'],
      exposedHeaders: ['X-API-Version', 'X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy', 'Idempotent-Replayed'],
      maxAge: 600,
      optionsSuccessStatus: 204,
    }),
  );

  // Health probes come every few seconds from load balancers and Docker: answered before
  // the request logger, so they neither flood the log nor pay for a log line. x-org-id is
  // not read here at all: an answer that differed by org would tell anyone which orgs exist.
  const health = ['/health', '/v1/health'];
  app.get(health, (_req, res) => {
    res.json(services.health.report());
  });
  app.all(health, methodNotAllowed(['GET', 'HEAD']));
  // Scrapes are not logged either, and never rate-limited (see metricsHandler).
  app.get(METRICS_PATH, metricsHandler(metrics, config.METRICS_TOKEN));
  app.all(METRICS_PATH, methodNotAllowed(['GET', 'HEAD']));

  // One flat line per request, written by the root logger (quietResLogger): pino-http's
  // per-request child loggers are the costliest part of logging, so only the one it always
  // makes remains.
  const line = (req: express.Request, res: express.Response, responseTime: number) => ({
    requestId: res.locals.requestId as string,
    method: req.method,
    url: req.originalUrl,
    statusCode: res.statusCode,
    responseTime,
  });
  app.use(
    pinoHttp({
      logger,
      genReqId: (_req, res) => (res as express.Response).locals.requestId as string,
      quietReqLogger: false,
      quietResLogger: true,
      wrapSerializers: false,
      serializers: { req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }) },
      customSuccessObject: (req, res, val: { responseTime: number }) => line(req as express.Request, res as express.Response, val.responseTime),
      customErrorObject: (req, res, err, val: { responseTime: number }) => ({
        ...line(req as express.Request, res as express.Response, val.responseTime),
        err,
      }),
    }),
  );

  // One webhook budget per client IP and one in-flight body cap, shared by GitHub deliveries and deploy reports.
  const webhookLimiter = createRateLimiter(config.RATE_LIMIT_WINDOW_MS, config.WEBHOOK_RATE_LIMIT_MAX, () => metrics.port.rateLimited('webhooks'), deps.rateLimitStore?.('webhooks'));
  const webhookBudget = createInflightBudget(config.WEBHOOK_INFLIGHT_MB * 1024 * 1024);
  const webhookBodyLimit = parseByteSize(config.WEBHOOK_BODY_LIMIT);
  app.use(
    WEBHOOK_PATHS,
    createWebhooksRouter({
      service: services.webhooks,
      secret: config.GITHUB_WEBHOOK_SECRET,
      bodyLimit: webhookBodyLimit,
      budget: webhookBudget,
      orgExists: (id) => services.orgs.exists(id),
      orgSecrets: (id) => services.orgWebhooks.secretsFor(id),
      limiter: webhookLimiter,
      metrics: metrics.port,
    }),
  );
  app.use(
    DEPLOY_WEBHOOK_PATHS,
    createDeployWebhookRouter({
      service: services.deploys,
      secret: config.DEPLOY_WEBHOOK_SECRET,
      // A deploy report is a few fields: the API's JSON limit, not GitHub's 25 MB.
      bodyLimit: parseByteSize(config.JSON_BODY_LIMIT),
      budget: webhookBudget,
      orgExists: (id) => services.orgs.exists(id),
      orgSecrets: (id) => services.orgWebhooks.secretsFor(id),
      limiter: webhookLimiter,
    }),
  );

  // Order of checks on /api: rate limit (429), cross-site origin (403 ORIGIN_NOT_ALLOWED),
  // bearer token (401), operator-only route (403 FORBIDDEN), x-org-id and x-actor-id (400,
  // 403, 404), body (415, 400, 413), idempotency key, then the route's own validation and
  // lookups. Every refusal before the idempotency step leaves no trace, not even a kept key.
  const apiLimiter = createRateLimiter(config.RATE_LIMIT_WINDOW_MS, config.RATE_LIMIT_MAX, () => metrics.port.rateLimited('api'), deps.rateLimitStore?.('api'));
  const api = express.Router();
  if (apiLimiter) api.use(apiLimiter);
  const origins = originCheck(config.CORS_ORIGINS);
  if (origins) api.use(origins);
  const auth = bearerAuth(config.API_TOKENS);
  if (auth) api.use(auth, operatorGuard(routes));
  api.use(orgScope((id) => services.orgs.exists(id)));
  api.use(jsonBody(config.JSON_BODY_LIMIT));
  api.use(idempotency({ store: services.idempotency, clock: deps.clock, box: services.secretsAtRest.box }));
  const { stamp } = deps.engine;
  // Reads depend on the database, the clock's second (uptimes) and which channels are up.
  const readStamp = (db: string) => `${db}|${Math.floor(deps.clock.now().getTime() / 1000)}|${services.channels.connectedNames().join(',')}`;
  api.use(
    buildRouter(routes, {
      stamp: () => {
        const db = stamp.current();
        return typeof db === 'string' ? readStamp(db) : db.then(readStamp);
      },
    }),
  );
  app.use(API_PREFIXES, api);

  app.use(createDocsRouter(document));
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return {
    app,
    services,
    routes,
    get openapi() {
      return document();
    },
  };
}
