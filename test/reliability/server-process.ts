import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sign } from '@octokit/webhooks-methods';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Compiles src/ to dist/ the way `npm start` does. In a whole run the global set-up
 * (test/build-dist.ts) has compiled it already, before any worker started; compiling again
 * here would rewrite dist/ under servers other files are starting, so it is skipped then.
 * A file run on its own outside vitest's set-up still compiles.
 */
export function buildServer(): void {
  if (process.env.CODESPAR_TEST_DIST_BUILT === '1') return;
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `node dist/server.js` with only the given environment; resolves once /health answers. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; i++) {
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, child, output: () => out, exited };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not come up: ${out}`);
}

/**
 * The process's output once it holds `text`: a line logged at start-up can reach the pipe
 * after /health first answers (the logger writes asynchronously), more so on a loaded machine.
 */
export async function printed(s: Pick<ServerProcess, 'output'>, text: string): Promise<string> {
  for (let i = 0; i < 400 && !s.output().includes(text); i++) await new Promise((r) => setTimeout(r, 25));
  return s.output();
}

export async function json<T = any>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...init.headers } });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

export const failedRun = (repo: string, n: number) => ({
  action: 'completed',
  repository: { full_name: repo },
  workflow_run: {
    name: 'CI',
    head_branch: 'main',
    head_sha: `${n.toString(16).padStart(7, '0')}${'a'.repeat(33)}`,
    status: 'completed',
    conclusion: 'failure',
    html_url: `https://github.com/${repo}/actions/runs/${n}`,
    updated_at: '2026-06-01T12:00:00Z',
  },
});

/** A delivery signed over its exact bytes, as GitHub sends it. */
export async function deliver(url: string, secret: string, deliveryId: string, payload: unknown) {
  const body = JSON.stringify(payload);
  return json(`${url}/webhooks/github`, {
    method: 'POST',
    body,
    headers: { 'x-github-event': 'workflow_run', 'x-github-delivery': deliveryId, 'x-hub-signature-256': await sign(secret, body) },
  });
}

/** Every audit entry of one org, in append order. */
export async function allEntries(url: string, orgId: string): Promise<Array<{ action: string; actorId: string; metadata: Record<string, any> }>> {
  const out = [];
  for (let page = 1; ; page++) {
    const { body } = await json(`${url}/api/audit?order=asc&limit=100&page=${page}`, { headers: { 'x-org-id': orgId } });
    out.push(...body.entries);
    if (!body.hasMore) return out;
  }
}
