/**
 * What the services that count tell the operator's metrics. A port, so services neither
 * import prom-client nor know whether anyone scrapes: tests and tools that build a service
 * alone pass `noMetrics`.
 *
 * Every method is called on the path of real work (an append, a delivery, a task run), so an
 * implementation must be cheap and must never throw.
 */
export interface Metrics {
  /**
   * One audit entry written by this process. An append inside a larger transaction counts when
   * it is written, so one whose transaction later rolls back is counted all the same.
   */
  auditAppended(): void;
  /** One webhook delivery answered; labels are bounded by the implementation. */
  webhookDelivery(source: WebhookSource, event: string, outcome: WebhookOutcome): void;
  /** One scheduled-task run finished (by its schedule or by /run). */
  schedulerRun(task: string, ok: boolean): void;
  /** One request refused by a rate-limit budget. */
  rateLimited(budget: RateLimitBudget): void;
  /** A live-event stream opened or closed (the events feature moves it). */
  eventStreamOpened(): void;
  eventStreamClosed(): void;
}

export type WebhookSource = 'github' | 'deploy';

/**
 * `processed`: acted on; `ignored`: accepted but nothing to do (ping, unhandled event, repo
 * not linked); `duplicate`: a delivery id or payload seen before; `rejected`: refused with a
 * 4xx (signature, body, rate limit); `failed`: a 5xx.
 */
export const WEBHOOK_OUTCOMES = ['processed', 'ignored', 'duplicate', 'rejected', 'failed'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/** `api` (/api and /v1/api), `webhooks` (/webhooks); the events feature adds its stream cap. */
export type RateLimitBudget = 'api' | 'webhooks' | 'events';

const nothing = (): void => {};

/** Counts nothing: for services built outside an app (tools, unit tests). */
export const noMetrics: Metrics = {
  auditAppended: nothing,
  webhookDelivery: nothing,
  schedulerRun: nothing,
  rateLimited: nothing,
  eventStreamOpened: nothing,
  eventStreamClosed: nothing,
};
