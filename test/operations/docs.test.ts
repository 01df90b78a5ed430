import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestApp } from '../helpers/app.js';
import { brokenLink, filesUnder, linkTargets, proseOf } from '../helpers/docs-check.js';
import { extraOperations } from '../../src/app.js';
import { fromOpenApiPath } from '../../src/metrics/route-template.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOCS = [path.join(ROOT, 'README.md'), path.join(ROOT, 'CONTRIBUTING.md'), ...filesUnder(path.join(ROOT, 'docs'), ['.md'])];
const rel = (f: string) => path.relative(ROOT, f);
const read = (f: string) => fs.readFileSync(f, 'utf8');

describe('the documentation', () => {
  it('has a README, a CONTRIBUTING guide and the docs pages it links to', () => {
    expect(DOCS.length).toBeGreaterThan(10);
    expect(linkTargets(read(DOCS[0]!)).length).toBeGreaterThan(5);
  });

  it('has no relative link that does not resolve to a file in the repository', () => {
    const broken = DOCS.flatMap((file) => linkTargets(read(file)).flatMap((t) => {
      const why = brokenLink(ROOT, file, t);
      return why ? [`${rel(file)}: ${why}`] : [];
    }));
    expect(broken).toEqual([]);
  });

  it('names every route of the registry, and every route outside /api, as METHOD /path', async () => {
    const t = await makeTestApp();
    const text = DOCS.map(read).join('\n');
    const routes = [
      ...t.routes.map((r) => `${r.method.toUpperCase()} /api${r.path}`),
      ...extraOperations.map((o) => `${o.method.toUpperCase()} ${fromOpenApiPath(o.path)}`),
    ];
    await t.close();
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.filter((r) => !text.includes(r))).toEqual([]);
  });

  it('never points at the folder outside the repository, in the docs or the source', () => {
    const files = [...DOCS, ...filesUnder(path.join(ROOT, 'src'), ['.ts'])];
    const outside = files.filter((f) => read(f).includes('../shared'));
    expect(outside.map(rel)).toEqual([]);
  });

  it('cites docs pages or operation ids, never numbered sections of a document outside it', () => {
    const files = [...DOCS, ...filesUnder(path.join(ROOT, 'src'), ['.ts']), ...filesUnder(path.join(ROOT, 'test'), ['.ts']), ...filesUnder(path.join(ROOT, 'bench'), ['.mjs'])];
    const citing = files.filter((f) => read(f).includes('\u00a7'));
    expect(citing.map(rel)).toEqual([]);
  });
});

describe('the documentation check itself (unit)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-check-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  fs.mkdirSync(path.join(tmp, 'docs'));
  fs.writeFileSync(path.join(tmp, 'docs', 'a.md'), '# A\n');
  fs.writeFileSync(path.join(tmp, 'README.md'), '# R\n');
  const from = path.join(tmp, 'README.md');

  it('finds inline links and images, not links inside code', () => {
    const md = ['See [a](docs/a.md#top) and ![img](docs/pic.png "t").', '```', '[x](nowhere.md)', '```', 'Code `[y](nope.md)` too.'].join('\n');
    expect(linkTargets(md)).toEqual(['docs/a.md#top', 'docs/pic.png']);
    expect(proseOf(md)).not.toContain('nowhere');
  });

  it('accepts an existing file, with or without an anchor, and an anchor alone', () => {
    expect(brokenLink(tmp, from, 'docs/a.md')).toBeUndefined();
    expect(brokenLink(tmp, from, 'docs/a.md#section')).toBeUndefined();
    expect(brokenLink(tmp, from, '#section')).toBeUndefined();
    expect(brokenLink(tmp, path.join(tmp, 'docs', 'a.md'), '../README.md')).toBeUndefined();
  });

  it('reports a missing file and a link that leaves the repository', () => {
    expect(brokenLink(tmp, from, 'docs/b.md')).toBe('docs/b.md: no such file');
    expect(brokenLink(tmp, from, '../shared/spec/API.md')).toBe('../shared/spec/API.md: points outside the repository');
    expect(brokenLink(tmp, path.join(tmp, 'docs', 'a.md'), '../../x.md')).toBe('../../x.md: points outside the repository');
  });
});
