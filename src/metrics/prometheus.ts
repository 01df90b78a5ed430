import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { createHttpSeries } from './http-metrics.js';
import { WEBHOOK_OUTCOMES, type Metrics } from './metrics.js';

/** Label values a caller passes through (an event name, a task name) are kept to this many distinct ones. */
const MAX_VALUES_PER_LABEL = 64;
const OTHER = 'other';

/** Keeps a label to known-looking values, at most `max` distinct ones; the rest read `other`. */
function boundedLabel(max = MAX_VALUES_PER_LABEL) {
  const seen = new Set<string>();
  return (value: string): string => {
    if (seen.has(value)) return value;
    if (seen.size >= max || !/^[A-Za-z0-9_.:-]{1,64}$/.test(value)) return OTHER;
    seen.add(value);
    return value;
  };
}

/**
 * One Prometheus registry per app instance (tests build many apps; the global default
 * registry would mix their counts and refuse a second registration of a name).
 */
export function createPrometheusMetrics() {
  const registry = new Registry();
  const registers = [registry];
  const http = createHttpSeries(registry);

  const webhooks = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook deliveries answered, by source, event and outcome',
    labelNames: ['source', 'event', 'outcome'],
    registers,
  });
  const audit = new Counter({ name: 'audit_entries_appended_total', help: 'Audit entries appended by this process', registers });
  const runs = new Counter({ name: 'scheduler_runs_total', help: 'Scheduled-task runs, by task and result', labelNames: ['task', 'ok'], registers });
  const streams = new Gauge({ name: 'event_streams_open', help: 'Live-event streams open on this process', registers });
  const limited = new Counter({ name: 'rate_limited_total', help: 'Requests refused by a rate limit, by budget', labelNames: ['budget'], registers });
  // Known series start at 0, so a dashboard's rate() has a baseline before the first event.
  for (const budget of ['api', 'webhooks']) limited.inc({ budget }, 0);
  audit.inc(0);
  streams.set(0);

  const event = boundedLabel();
  const task = boundedLabel();
  const outcomes = new Set<string>(WEBHOOK_OUTCOMES);

  const port: Metrics = {
    auditAppended: () => audit.inc(),
    webhookDelivery: (source, e, outcome) =>
      webhooks.inc({ source: source === 'deploy' ? 'deploy' : 'github', event: event(e), outcome: outcomes.has(outcome) ? outcome : OTHER }),
    schedulerRun: (name, ok) => runs.inc({ task: task(name), ok: ok ? 'true' : 'false' }),
    rateLimited: (budget) => limited.inc({ budget }),
    eventStreamOpened: () => streams.inc(),
    eventStreamClosed: () => streams.dec(),
  };

  let defaults = false;
  return {
    port,
    http,
    contentType: registry.contentType,
    /**
     * The exposition text. The default process metrics are registered on the first scrape:
     * each registration starts an event-loop-delay monitor and a GC observer, which an app
     * that is never scraped (every test app) should not pay for.
     */
    scrape(): Promise<string> {
      if (!defaults) {
        defaults = true;
        collectDefaultMetrics({ register: registry });
      }
      return registry.metrics();
    },
  };
}

export type PrometheusMetrics = ReturnType<typeof createPrometheusMetrics>;
