import { execFile } from 'node:child_process';
import { METHODS } from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { checkResponse, documentedOperations } from '../helpers/contract.js';

const run = promisify(execFile);

let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | string[];
}

const list = (p: string | string[] | undefined): string[] => (p === undefined ? [''] : Array.isArray(p) ? p : [p]);
const join = (a: string, b: string) => `${a}/${b}`.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');

/** Every (method, path) Express really serves, walked from its router stack (405 catch-alls aside). */
function servedOperations(stack: Layer[], prefixes: string[] = ['']): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const methods = Object.keys(layer.route.methods);
      // `router.all` (the 405 answers) registers every method: not an operation of its own.
      if (methods.includes('_all') || methods.length >= METHODS.length) continue;
      for (const method of methods) {
        for (const prefix of prefixes) for (const p of list(layer.route.path)) out.push(`${method} ${join(prefix, p)}`);
      }
    } else if (layer.handle?.stack) {
      const nested = prefixes.flatMap((prefix) => list(layer.rawPath).map((p) => join(prefix, typeof p === 'string' ? p : '')));
      out.push(...servedOperations(layer.handle.stack, nested));
    }
  }
  return out;
}

const documented = (doc: Record<string, unknown>): string[] =>
  Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
    Object.keys(ops).map((m) => `${m} ${p.replace(/\{(\w+)\}/g, ':$1')}`),
  );

describe('GET /openapi.json', () => {
  it('serves an OpenAPI 3.1 document at both prefixes', async () => {
    const a = await t.api().get('/openapi.json').expect(200);
    const b = await t.api().get('/v1/openapi.json').expect(200);
    expect(a.body.openapi).toBe('3.1.0');
    expect(b.body).toEqual(a.body);
    expect(a.headers['x-api-version']).toBe('v1');
  });

  it('documents every operation Express serves, and serves every documented one', () => {
    const served = servedOperations((t.app as unknown as { router: { stack: Layer[] } }).router.stack);
    const docs = new Set(documented(t.openapi));
    // /v1 forms mirror the documented ones (the document says so in its description).
    const canonical = new Set(served.map((s) => s.replace(/^(\w+) \/v1\//, '$1 /')));
    expect([...canonical].filter((s) => !docs.has(s)), 'served but undocumented').toEqual([]);
    expect([...docs].filter((d) => !canonical.has(d)), 'documented but not served').toEqual([]);
    expect(served.length).toBeGreaterThan(docs.size);
  });

  it('lints clean with Redocly (no errors, no warnings)', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-')), 'openapi.json');
    fs.writeFileSync(file, JSON.stringify(t.openapi));
    const { stdout } = await run('npx', ['--no-install', 'redocly', 'lint', file, '--format=json'], { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } }).catch(
      (e: { stdout: string }) => ({ stdout: e.stdout }),
    );
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: Array<{ message: string }> };
    expect(report.problems.map((p) => p.message)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);
});

describe('the response checker every test uses', () => {
  it('flags a success body that drifts from the documented schema', () => {
    const ops = documentedOperations(t.routes);
    const ok = { status: 200, body: [{ type: 'project', lifecycle: 'persistent', description: 'x' }], headers: { 'content-type': 'application/json' } };
    expect(checkResponse(ops, 'get', '/api/agent-types', ok)).toBeUndefined();
    const drifted = { ...ok, body: [{ type: 'project', lifecycle: 'forever', description: 'x' }] };
    expect(checkResponse(ops, 'get', '/api/agent-types', drifted)).toMatch(/off the documented schema/);
  });

  it('flags an undocumented error code, a wrong status and an error body of another shape', () => {
    const ops = documentedOperations(t.routes);
    const json = { 'content-type': 'application/json' };
    expect(checkResponse(ops, 'get', '/api/orgs/x', { status: 404, body: { error: 'x', code: 'AGENT_NOT_FOUND', status: 404 }, headers: json })).toMatch(/not documented/);
    expect(checkResponse(ops, 'get', '/api/orgs/x', { status: 404, body: { error: 'x', code: 'ORG_NOT_FOUND', status: 400 }, headers: json })).toMatch(/differs/);
    expect(checkResponse(ops, 'get', '/api/orgs/x', { status: 404, body: { message: 'x' }, headers: json })).toMatch(/off the contract/);
    expect(checkResponse(ops, 'post', '/api/orgs', { status: 200, body: {}, headers: json })).toMatch(/success status is 201/);
  });
});

describe('GET /docs', () => {
  it('serves the interactive reference from installed packages only (no CDN)', async () => {
    const page = await t.api().get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const refs = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).not.toMatch(/^(https?:)?\/\//);
      await t.api().get(`/${ref}`).expect(200);
    }
    await t.api().get('/docs/init.js').expect(200);
  });
});
