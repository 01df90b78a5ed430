import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';
import { openTestDb } from '../helpers/deps.js';
import { appendMany } from '../helpers/audit.js';

// SQLite's own: over a file the server verifies on a WAL snapshot through a second,
// read-only connection (PostgreSQL's REPEATABLE READ reader is tested in test/pg/ports.test.ts).
let t: TestApp;
afterEach(() => t?.close());
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-verify-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('GET /api/audit/verify over a file, while the server goes on', () => {
  const fileApp = async (): Promise<TestApp> => await makeTestApp({ db: openTestDb(path.join(tmp, `${randomUUID()}.db`)) });

  it('reads one snapshot: entries appended while it runs are neither counted nor mistaken for a broken chain', async () => {
    t = await fileApp();
    await appendMany(t, 'default', 4500);
    const running = t.services.audit.verify({ orgId: 'default' });
    // The first batch has been read (the snapshot is taken); these commit before the rest is.
    await appendMany(t, 'default', 700);
    expect(await running).toEqual({ valid: true, checked: 4500, brokenAt: null, keyed: false, unkeyed: 4500 });
    expect(await t.services.audit.verify({ orgId: 'default' })).toEqual({ valid: true, checked: 5200, brokenAt: null, keyed: false, unkeyed: 5200 });
  });

  it('gives the event loop back between batches, over a file and in memory alike', async () => {
    const order = async (app: TestApp): Promise<string[]> => {
      await appendMany(app, 'default', 4500);
      const seen: string[] = [];
      const running = app.services.audit.verify({ orgId: 'default' }).then(() => seen.push('verified'));
      setImmediate(() => seen.push('other work'));
      await running;
      await new Promise((resolve) => setImmediate(resolve));
      return seen;
    };
    t = await fileApp();
    expect(await order(t)).toEqual(['other work', 'verified']);
    t.close();
    t = await makeTestApp();
    expect(await order(t)).toEqual(['other work', 'verified']);
  });

  it('sees every write its caller made before asking, though another verification is still running', async () => {
    t = await fileApp();
    await appendMany(t, 'default', 4500);
    const first = t.services.audit.verify({ orgId: 'default' });
    await appendMany(t, 'default', 3);
    const second = t.services.audit.verify({ orgId: 'default' });
    const third = t.api().get('/api/audit/verify').set(inOrg('default'));
    expect(await first).toMatchObject({ valid: true, checked: 4500 });
    expect(await second).toMatchObject({ valid: true, checked: 4503 });
    expect((await third.expect(200)).body).toEqual({ valid: true, checked: 4503, brokenAt: null, keyed: false, unkeyed: 4503 });
  });
});
