import fs from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { appendMany } from '../helpers/audit.js';
import { serve, tempFolder, verify } from './tamper-support.js';

// How verification over a database file treats the server it runs in: it answers for the
// chain as it was when asked, runs one verification at a time, leaves no connection open
// behind it, and never creates a database file.

const folder = tempFolder();
afterAll(() => folder.remove());
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** This process's open descriptors on the database file itself (each SQLite connection holds one). */
const descriptorsOn = (file: string): number =>
  fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;

describe('GET /api/audit/verify over a database file', () => {
  it('answers for the chain as it was when asked, also when the previous verification has finished', async () => {
    const file = folder.file();
    t = await serve(file);
    await appendMany(t, 'default', 3);
    for (const before of [3, 5, 7]) {
      const asked = t.services.audit.verify({ orgId: 'default' });
      // Written after the question, before its answer: not part of it.
      await appendMany(t, 'default', 2);
      expect(await asked).toMatchObject({ valid: true, checked: before });
      // The next question arrives on a later turn of the event loop, as a request would.
      await nextTurn();
    }
    expect(await verify(t, 'default')).toMatchObject({ valid: true, checked: 9 });
  });

  it('runs one verification at a time: a verification asked while another runs opens no second connection and sees what was written meanwhile', async () => {
    const file = folder.file();
    t = await serve(file);
    // Long enough to give the event loop back between batches.
    await appendMany(t, 'default', 4_500);
    await t.services.audit.verify({ orgId: 'default' });
    await nextTurn();
    const idle = descriptorsOn(file);
    const first = t.services.audit.verify({ orgId: 'default' });
    const second = t.services.audit.verify({ orgId: 'default' });
    const third = t.services.audit.verify({ orgId: null });
    await appendMany(t, 'default', 1);
    let settled = false;
    const all = Promise.all([first, second, third]).finally(() => (settled = true));
    let most = 0;
    while (!settled) {
      most = Math.max(most, descriptorsOn(file));
      await nextTurn();
    }
    const [a, b, c] = await all;
    expect(most).toBeLessThanOrEqual(idle);
    expect(a).toMatchObject({ valid: true, checked: 4_500 });
    // Queued behind the first: its snapshot is taken when it starts.
    expect(b).toMatchObject({ valid: true, checked: 4_501 });
    expect(c).toMatchObject({ valid: true, checked: 4_501, orgs: [{ orgId: 'default', checked: 4_501 }] });
  });

  it('leaves no connection open behind it, however many times it is asked', async () => {
    const file = folder.file();
    t = await serve(file);
    await appendMany(t, 'default', 5);
    await verify(t, 'default');
    const after = descriptorsOn(file);
    for (let i = 0; i < 4; i++) await verify(t, i % 2 ? 'default' : undefined);
    expect(descriptorsOn(file)).toBe(after);
  });

  it('answers 500 without creating a file when the database file is gone, and the server keeps serving', async () => {
    const file = folder.file();
    t = await serve(file);
    await appendMany(t, 'default', 2);
    fs.renameSync(file, `${file}.moved`);
    const res = await t.api().get('/api/audit/verify').set('x-org-id', 'default').expect(500);
    expect(res.body).toEqual({ error: expect.any(String), code: 'INTERNAL_ERROR', status: 500 });
    expect(fs.existsSync(file)).toBe(false);
    // The server's own connection still works on the moved file.
    await t.api().get('/api/audit?limit=1').set('x-org-id', 'default').expect(200);
  });
});

describe('GET /api/audit/verify without x-org-id', () => {
  it('lists orgs by org id, an org known only from its audit chain included', async () => {
    t = await makeTestApp();
    await t.api().post('/api/orgs').send({ name: 'Zeta' }).expect(201);
    await appendMany(t, 'default', 2);
    await appendMany(t, 'org-zeta', 1);
    // Entries of an org id with no org row (written by hand or by an older version).
    await appendMany(t, 'a-ghost', 2);
    const body = await verify(t);
    expect((body.orgs as Array<{ orgId: string }>).map((o) => o.orgId)).toEqual(['a-ghost', 'default', 'org-zeta']);
    expect(body).toMatchObject({ valid: true, checked: 6 }); // org creation is recorded too
  });
});
