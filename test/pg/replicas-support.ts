import type { ServerResponse } from 'node:http';
import { json, startServer, type ServerProcess } from '../reliability/server-process.js';
import { sendJson, startStub, type Stub } from '../helpers/stub-server.js';
import { parseSamples } from '../helpers/prometheus.js';
import { until as poll } from '../reliability/support.js';

/** Several real `node dist/server.js` processes over one database, as behind a load balancer. */
export interface Cluster {
  replicas: ServerProcess[];
  stop(): Promise<void>;
}

export async function startCluster(count: number, env: Record<string, string>): Promise<Cluster> {
  const replicas = await Promise.all(Array.from({ length: count }, () => startServer(env)));
  return {
    replicas,
    async stop() {
      for (const r of replicas) {
        if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
        await r.exited;
      }
    },
  };
}

let ip = 0;
/** A client address of its own (TRUST_PROXY=1), so each request has a budget of its own unless a test shares one. */
export const freshIp = (): string => `10.7.${Math.floor(++ip / 250)}.${(ip % 250) + 1}`;

/** A JSON request from its own client address unless `from` names one. */
export function call<T = any>(url: string, init: RequestInit & { from?: string } = {}) {
  const { from, ...rest } = init;
  return json<T>(url, { ...rest, headers: { 'x-forwarded-for': from ?? freshIp(), ...(rest.headers as Record<string, string> | undefined) } });
}

/** The sum of a counter's samples whose labels include `labels` (every `ok` of a task, say; 0 when absent). */
export async function metric(url: string, name: string, labels: Record<string, string>): Promise<number> {
  const samples = parseSamples(await (await fetch(`${url}/metrics`)).text());
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}

/**
 * GitHub on 127.0.0.1: knows acme/widget; its workflow-runs endpoint is held open while
 * `hold` is set, so a build-status-report run lasts as long as a test wants.
 */
export async function startHeldGitHub() {
  let held: Array<() => void> = [];
  const state = { hold: false, stub: undefined as unknown as Stub };
  const answerRuns = (res: ServerResponse) => sendJson(res, 200, { total_count: 0, workflow_runs: [] });
  state.stub = await startStub((req, res) => {
    if (/^\/repos\/acme\/widget\/actions\/runs/.test(req.path)) {
      if (state.hold) held.push(() => answerRuns(res));
      else answerRuns(res);
      return;
    }
    if (/^\/repos\/acme\/widget(\?|$)/.test(req.path)) return sendJson(res, 200, { id: 1, full_name: 'acme/widget', name: 'widget', default_branch: 'main', private: false });
    sendJson(res, 404, { message: 'Not Found' });
  });
  return {
    url: state.stub.url,
    set hold(v: boolean) {
      state.hold = v;
    },
    /** Requests to the runs endpoint held so far. */
    heldCount: () => held.length,
    release() {
      const waiting = held;
      held = [];
      for (const f of waiting) f();
    },
    close: () => state.stub.close(),
  };
}

/** Polls other processes: every 25 ms, for up to 10 s. */
export const until = (check: () => Promise<boolean> | boolean, what: string, tries = 400): Promise<void> => poll(check, what, tries, 25);
