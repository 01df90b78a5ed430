import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { auditOf, deliver, linkRepo, push } from './fixtures.js';

// SQLite's own: the server closes its database file and opens it again (PostgreSQL's restart
// over the same database is test/pg/process.test.ts).
let t: TestApp;
afterEach(() => t.close());

describe('POST /webhooks/github: de-duplication across a restart', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('still answers a delivery seen before the restart as a duplicate', async () => {
    const env = { DATABASE_PATH: path.join(dir, 'codespar.db') };
    t = await makeTestApp({ env });
    await linkRepo(t);
    await deliver(t, 'push', push(), { id: 'd-restart' }).expect(200);
    const audit = (await auditOf(t)).length;
    t.close();

    t = await makeTestApp({ env });
    const res = await deliver(t, 'push', push(), { id: 'd-restart' }).expect(200);
    expect(res.body).toEqual({ received: true, event: 'push', processed: false, duplicate: true, reason: 'Duplicate delivery' });
    expect(await auditOf(t)).toHaveLength(audit);
  });
});
