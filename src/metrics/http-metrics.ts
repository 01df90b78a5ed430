import { performance } from 'node:perf_hooks';
import type { Request, RequestHandler, Response } from 'express';
import { Counter, type Metric, type Registry } from 'prom-client';

/** Where the middleware keeps a request's start time (res.locals is per request already). */
const STARTED = 'metricsStartedAt';

/** prom-client's default buckets, in seconds. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Node accepts a few dozen methods; the ones our API answers keep their name, the rest share one label. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

interface Series {
  labels: { method: string; route: string; status: string };
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  perBucket: number[];
}

/**
 * The request counter and duration histogram, aggregated in plain objects and handed to
 * prom-client only when scraped. Recording through prom-client directly costs 1–1.5 µs a
 * request (it hashes and validates the label set every time); here it is one Map lookup and
 * a few additions, which keeps the cost off the request path. Labels are bounded by
 * construction: a known method (else `OTHER`), a route template from a fixed set, a status.
 */
export function createHttpSeries(registry: Registry) {
  const series = new Map<string, Series>();

  function record(method: string, route: string, status: number, seconds: number): void {
    const m = METHODS.has(method) ? method : 'OTHER';
    const key = `${m} ${status} ${route}`;
    let s = series.get(key);
    if (s === undefined) {
      s = { labels: { method: m, route, status: String(status) }, count: 0, sum: 0, perBucket: new Array<number>(BUCKETS.length + 1).fill(0) };
      series.set(key, s);
    }
    s.count += 1;
    s.sum += seconds;
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]!) i += 1;
    s.perBucket[i]! += 1;
  }

  new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of series.values()) this.inc(s.labels, s.count);
    },
  });

  const name = 'http_request_duration_seconds';
  const help = 'Time from the request reaching the app to the last byte of the answer handed to the socket';
  // prom-client's Histogram offers no way to load aggregated buckets, so this one is given to
  // the registry as a metric object of the same shape (name, help, type, get).
  const histogram = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: histogramValues() }),
    reset: () => series.clear(),
  };
  function histogramValues() {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const s of series.values()) {
      let acc = 0;
      BUCKETS.forEach((le, i) => {
        acc += s.perBucket[i]!;
        values.push({ labels: { ...s.labels, le }, value: acc, metricName: `${name}_bucket` });
      });
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${name}_count` });
    }
    return values;
  }
  registry.registerMetric(histogram as unknown as Metric);

  return { record, size: () => series.size };
}

export type HttpSeries = ReturnType<typeof createHttpSeries>;

/**
 * Times every request and records it once its answer is finished, labelled with the route
 * template `templateOf` names (resolved after the fact, when the router has matched).
 * A request whose client goes away before the answer is finished is not counted. One shared
 * listener (Node calls it with the response as `this`) and the start time in `res.locals`:
 * no closure per request.
 */
export function httpMetricsMiddleware(series: HttpSeries, templateOf: (req: Request) => string): RequestHandler {
  function finished(this: Response): void {
    const seconds = (performance.now() - (this.locals[STARTED] as number)) / 1000;
    series.record(this.req.method, templateOf(this.req), this.statusCode, seconds);
  }
  return (_req: Request, res: Response, next) => {
    res.locals[STARTED] = performance.now();
    res.on('finish', finished);
    next();
  };
}
