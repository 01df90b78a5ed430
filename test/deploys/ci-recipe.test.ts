import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, json, printed, ROOT, startServer, type ServerProcess } from '../reliability/server-process.js';

/**
 * The shell steps of docs/ci-integrations.md, run as written (bash, openssl, curl, jq)
 * against the compiled server on loopback; and the vote transaction across two processes
 * sharing one database file.
 */

const SECRET = 'ci-recipe-deploy-secret';
const SHA = 'abc1234def5678901234567890abcdef12345678';

/** The `run: |` scripts of the doc's YAML steps, dedented, in order. */
function docScripts(): string[] {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/ci-integrations.md'), 'utf8');
  const scripts: string[] = [];
  for (const block of doc.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    const lines = block[1]!.split('\n');
    const at = lines.findIndex((l) => /^\s*run: \|$/.test(l));
    const indent = lines[at]!.search(/\S/);
    const body = lines.slice(at + 1).filter((l) => l.trim() !== '');
    const inner = body.filter((l) => l.search(/\S/) > indent);
    const cut = Math.min(...inner.map((l) => l.search(/\S/)));
    scripts.push(inner.map((l) => l.slice(cut)).join('\n') + '\n');
  }
  return scripts;
}

const GITHUB_ENV = { GITHUB_REPOSITORY: 'acme/api', GITHUB_SHA: SHA, GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: '4242', GITHUB_RUN_ATTEMPT: '1' };

function runStep(script: string, env: Record<string, string>) {
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { env: { PATH: process.env.PATH ?? '', ...GITHUB_ENV, ...env }, encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let dir: string;
let a: ServerProcess;
let b: ServerProcess | undefined;

beforeAll(async () => {
  buildServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-ci-'));
  a = await startServer({ DATABASE_PATH: path.join(dir, 'ci.db'), DEPLOY_WEBHOOK_SECRET: SECRET, RATE_LIMIT_MAX: '0', WEBHOOK_RATE_LIMIT_MAX: '0', SCHEDULER_ENABLED: 'false', LOG_LEVEL: 'warn' });
  await json(`${a.url}/api/projects`, { method: 'POST', body: JSON.stringify({ repo: 'acme/api' }) });
}, 120_000);

afterAll(async () => {
  for (const s of [a, b]) {
    if (s && s.child.exitCode === null) {
      s.child.kill('SIGTERM');
      await s.exited;
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('docs/ci-integrations.md, run as written', () => {
  it('has the two steps, and the server with DEPLOY_WEBHOOK_SECRET set does not warn about it', () => {
    expect(docScripts()).toHaveLength(2);
    expect(a.output()).not.toContain('DEPLOY_WEBHOOK_SECRET is not set');
  });

  it("reports a deploy signed by openssl's HMAC, once per X-Deploy-Id, and is refused with the wrong secret", () => {
    const [deployStep] = docScripts();
    const first = runStep(deployStep!, { CODESPAR_URL: a.url, DEPLOY_SECRET: SECRET, DEPLOY_STATUS: 'failed' });
    expect(first.code, first.err).toBe(0);
    const body = JSON.parse(first.out) as { processed: boolean; deploy: Record<string, unknown> };
    expect(body.processed).toBe(true);
    expect(body.deploy).toMatchObject({ status: 'failed', sha: SHA, url: 'https://github.com/acme/api/actions/runs/4242', source: 'ci:github-actions' });
    const again = runStep(deployStep!, { CODESPAR_URL: a.url, DEPLOY_SECRET: SECRET, DEPLOY_STATUS: 'failed' });
    expect(JSON.parse(again.out)).toMatchObject({ processed: false, duplicate: true });
    const wrong = runStep(deployStep!, { CODESPAR_URL: a.url, DEPLOY_SECRET: 'not-the-secret', DEPLOY_STATUS: 'succeeded' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.out + wrong.err).toContain('INVALID_SIGNATURE');
  });

  it.each([
    ['approve', 0, 'Approved'],
    ['reject', 1, 'was rejected'],
  ] as const)('waits for a sign-off and ends when someone votes %s', async (vote, exitCode, says) => {
    const [, approvalStep] = docScripts();
    const before = (await json(`${a.url}/api/approvals`)).body.length as number;
    const child = spawn('bash', ['-euo', 'pipefail', '-c', approvalStep!], {
      env: { PATH: process.env.PATH ?? '', ...GITHUB_ENV, GITHUB_RUN_ID: `run-${vote}`, CODESPAR_URL: a.url, CODESPAR_TOKEN: '', POLL_SECONDS: '0.1' },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let list: Array<{ id: string; status: string; requestedBy: string }>;
    do {
      await new Promise((r) => setTimeout(r, 50));
      list = (await json(`${a.url}/api/approvals`)).body;
    } while (list.length === before);
    expect(list[0]).toMatchObject({ status: 'pending', requestedBy: 'ci:github-actions' });
    expect(child.exitCode).toBeNull();
    const voted = await json(`${a.url}/api/approvals/${list[0]!.id}/vote`, { method: 'POST', headers: { 'x-actor-id': 'alice' }, body: JSON.stringify({ vote }) });
    expect(voted.status).toBe(200);
    expect(await exited).toBe(exitCode);
    expect(out).toContain(says);
  });
});

describe('two server processes on one database file', () => {
  it('the second, without DEPLOY_WEBHOOK_SECRET, warns once at start-up', async () => {
    b = await startServer({ DATABASE_PATH: path.join(dir, 'ci.db'), RATE_LIMIT_MAX: '0', WEBHOOK_RATE_LIMIT_MAX: '0', SCHEDULER_ENABLED: 'false', LOG_LEVEL: 'warn' });
    expect((await printed(b, 'DEPLOY_WEBHOOK_SECRET is not set')).match(/DEPLOY_WEBHOOK_SECRET is not set/g)).toHaveLength(1);
  });

  it('voters on both at once: the quorum decides once, every accepted vote is kept, the rest are refused', async () => {
    const created = await json(`${a.url}/api/approvals`, { method: 'POST', headers: { 'x-actor-id': 'ci' }, body: JSON.stringify({ action: 'deploy', description: 'race', quorum: 3 }) });
    const id = created.body.id as string;
    const voters = Array.from({ length: 12 }, (_, i) => `voter-${i}`);
    const answers = await Promise.all(
      voters.map((v, i) => json(`${(i % 2 ? b! : a).url}/api/approvals/${id}/vote`, { method: 'POST', headers: { 'x-actor-id': v }, body: JSON.stringify({ vote: 'approve' }) })),
    );
    const ok = answers.filter((r) => r.status === 200);
    expect(ok).toHaveLength(3);
    expect(ok.filter((r) => r.body.status === 'approved')).toHaveLength(1);
    expect(answers.filter((r) => r.status !== 200).map((r) => r.body.code)).toEqual(Array(9).fill('APPROVAL_CLOSED'));
    const final = (await json(`${b!.url}/api/approvals/${id}`)).body;
    expect(final.status).toBe('approved');
    expect(final.votes.map((v: { voter: string }) => v.voter).sort()).toEqual(ok.map((r) => r.body.votes.at(-1).voter).sort());
    const verify = await json(`${a.url}/api/audit/verify`, { headers: { 'x-org-id': 'default' } });
    expect(verify.body.valid).toBe(true);
  });
});
