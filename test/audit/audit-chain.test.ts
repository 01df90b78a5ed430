import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';
import { openTestDb, TEST_ENGINE } from '../helpers/deps.js';
import { column, execSql, tamperSql } from '../helpers/engine-db.js';
import { allEntries, appendMany, type AuditEntryBody as Entry } from '../helpers/audit.js';

/** The documented hash formula and nothing else: what a client would write against the documented API. */
function verifyChain(entries: Entry[]): { valid: boolean; checked: number; brokenAt: string | null } {
  let previous = '0'.repeat(64);
  for (const e of entries) {
    const input = previous + e.timestamp + e.actorType + e.actorId + e.action + e.result + JSON.stringify(e.metadata);
    const hex = createHash('sha256').update(input).digest('hex');
    if (e.hash !== `sha256:${hex}`) return { valid: false, checked: entries.length, brokenAt: e.id };
    previous = hex;
  }
  return { valid: true, checked: entries.length, brokenAt: null };
}

let t: TestApp;
afterEach(() => t?.close());
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-verify-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('hash chain, client-side verification', () => {
  it('verifies an org of hundreds of entries from the documented formula alone', async () => {
    t = await makeTestApp();
    await t.api().post('/api/orgs').set('x-actor-id', 'ci:github-actions').send({ name: 'Chain Co' }).expect(201);
    await appendMany(t, 'org-chain-co', 349);
    // Another org's entries interleave and must not disturb this chain.
    await appendMany(t, 'default', 20);

    const entries = await allEntries(t, 'org-chain-co');
    expect(entries).toHaveLength(350);
    expect(entries[0]).toMatchObject({ action: 'org_create', actorId: 'ci:github-actions' });
    expect(entries[2]!.metadata).toEqual({ '2': 'two', '10': 'ten', zeta: 1, alpha: 2, i: 1 });
    expect(entries[5]!.metadata).toEqual({ kept: null, i: 4 });
    expect(verifyChain(entries)).toEqual({ valid: true, checked: 350, brokenAt: null });
    expect(verifyChain(await allEntries(t, 'default'))).toMatchObject({ valid: true, checked: 20 });

    const api = await t.api().get('/api/audit/verify').set(inOrg('org-chain-co')).expect(200);
    expect(api.body).toEqual({ valid: true, checked: 350, brokenAt: null, keyed: false, unkeyed: 350 });
  });

  it('starts every org at 64 zeros', async () => {
    t = await makeTestApp();
    await t.api().post('/api/orgs').send({ name: 'First' }).expect(201);
    const [first] = await allEntries(t, 'org-first');
    const expected = createHash('sha256')
      .update('0'.repeat(64) + first!.timestamp + 'user' + 'api' + 'org_create' + 'completed' + JSON.stringify(first!.metadata))
      .digest('hex');
    expect(first!.hash).toBe(`sha256:${expected}`);
  });

  it('rates an action named like an Object prototype key as low', async () => {
    t = await makeTestApp();
    const e = await t.services.audit.append({ orgId: 'default', actorType: 'system', actorId: 's', action: 'constructor' });
    expect(e.risk).toBe('low');
    expect((await t.api().get('/api/audit?risk=low').expect(200)).body.total).toBe(1);
  });
});

// Over a file the server verifies through a read-only connection of its own, on a snapshot,
// between event-loop turns; in memory, synchronously on the main connection. Same answers.
// On PostgreSQL, always through a pooled connection of its own.
const VARIANTS: Array<[string, boolean]> = TEST_ENGINE === 'sqlite' ? [['in memory', false], ['in a file', true]] : [['on PostgreSQL', false]];
describe.each(VARIANTS)('GET /api/audit/verify, database %s', (_kind, onFile) => {
  const newApp = async (): Promise<TestApp> => (onFile ? await makeTestApp({ db: openTestDb(path.join(tmp, `${randomUUID()}.db`)) }) : await makeTestApp());

  const tamper = (sql: string, ...args: unknown[]): Promise<void> => tamperSql(t, sql, ...args);

  it('answers invalid with brokenAt when a middle row was altered underneath it', async () => {
    t = await newApp();
    await appendMany(t, 'default', 120);
    const entries = await allEntries(t, 'default');
    const victim = entries[57]!;
    await tamper('UPDATE audit_entries SET metadata = ? WHERE id = ?', JSON.stringify({ tampered: true }), victim.id);

    const res = await t.api().get('/api/audit/verify').set(inOrg('default')).expect(200);
    expect(res.body).toEqual({ valid: false, checked: 120, brokenAt: victim.id, keyed: false, unkeyed: 120 });
    expect(verifyChain(await allEntries(t, 'default'))).toMatchObject({ valid: false, brokenAt: victim.id });
  });

  it.each([
    ['timestamp', "'2020-01-01T00:00:00.000Z'"],
    ['actor_id', "'someone-else'"],
    ['action', "'tampered_action'"],
    ['result', "'failed'"],
    ['hash', `'sha256:${'0'.repeat(64)}'`],
  ])('detects an altered %s', async (column, value) => {
    t = await newApp();
    await appendMany(t, 'default', 10);
    const victim = (await allEntries(t, 'default'))[4]!;
    await tamper(`UPDATE audit_entries SET ${column} = ${value} WHERE id = ?`, victim.id);
    const res = await t.api().get('/api/audit/verify').set(inOrg('default')).expect(200);
    expect(res.body).toMatchObject({ valid: false, brokenAt: victim.id });
  });

  // The server reads the chain in batches of 2,000 entries: breaks on either side of a batch
  // boundary, and past the first batch, are found and the count still covers every entry.
  it.each([1999, 2000, 4321])('finds a break at entry #%i of 4,500 read in batches', async (index) => {
    t = await newApp();
    await appendMany(t, 'default', 4500);
    const ok = await t.api().get('/api/audit/verify').set(inOrg('default')).expect(200);
    expect(ok.body).toEqual({ valid: true, checked: 4500, brokenAt: null, keyed: false, unkeyed: 4500 });
    const [victim] = await column<string>(t, `SELECT id FROM audit_entries WHERE org_id = 'default' ORDER BY chain_seq LIMIT 1 OFFSET ${index}`);
    await tamper('UPDATE audit_entries SET result = ? WHERE id = ?', 'tampered', victim);
    const res = await t.api().get('/api/audit/verify').set(inOrg('default')).expect(200);
    expect(res.body).toEqual({ valid: false, checked: 4500, brokenAt: victim, keyed: false, unkeyed: 4500 });
  });

  it('detects a removed middle entry at the entry after it', async () => {
    t = await newApp();
    await appendMany(t, 'default', 10);
    const entries = await allEntries(t, 'default');
    await tamper('DELETE FROM audit_entries WHERE id = ?', entries[3]!.id);
    const res = await t.api().get('/api/audit/verify').set(inOrg('default')).expect(200);
    expect(res.body).toEqual({ valid: false, checked: 9, brokenAt: entries[4]!.id, keyed: false, unkeyed: 9 });
  });

  it('answers invalid when the newest entries were removed, though every remaining hash matches', async () => {
    t = await newApp();
    await appendMany(t, 'default', 6);
    await tamper('DELETE FROM audit_entries WHERE chain_seq > 4');
    const res = await t.api().get('/api/audit/verify').set(inOrg('default')).expect(200);
    expect(res.body).toEqual({ valid: false, checked: 4, brokenAt: null, keyed: false, unkeyed: 4 });
  });

  it('without the header answers every org, checked being the sum', async () => {
    t = await newApp();
    await t.api().post('/api/orgs').send({ name: 'Alpha' }).expect(201);
    await t.api().post('/api/orgs').send({ name: 'Beta' }).expect(201);
    await appendMany(t, 'org-alpha', 4);
    await appendMany(t, 'default', 2);

    const ok = await t.api().get('/api/audit/verify').expect(200);
    expect(ok.body).toEqual({
      valid: true,
      checked: 8,
      keyed: false,
      unkeyed: 8,
      orgs: [
        { orgId: 'default', valid: true, checked: 2, brokenAt: null, unkeyed: 2 },
        { orgId: 'org-alpha', valid: true, checked: 5, brokenAt: null, unkeyed: 5 },
        { orgId: 'org-beta', valid: true, checked: 1, brokenAt: null, unkeyed: 1 },
      ],
    });

    const victim = (await allEntries(t, 'org-alpha'))[2]!;
    await tamper('UPDATE audit_entries SET metadata = ? WHERE id = ?', '{"x":1}', victim.id);
    const bad = await t.api().get('/v1/api/audit/verify').expect(200);
    expect(bad.body.valid).toBe(false);
    expect(bad.body.checked).toBe(8);
    expect(bad.body.orgs).toContainEqual({ orgId: 'org-alpha', valid: false, checked: 5, brokenAt: victim.id, unkeyed: 5 });
    expect(bad.body.orgs).toContainEqual({ orgId: 'default', valid: true, checked: 2, brokenAt: null, unkeyed: 2 });
  });

  it('answers valid with nothing checked for an empty trail', async () => {
    t = await newApp();
    expect((await t.api().get('/api/audit/verify').set(inOrg('default')).expect(200)).body).toEqual({ valid: true, checked: 0, brokenAt: null, keyed: false, unkeyed: 0 });
    expect((await t.api().get('/api/audit/verify').expect(200)).body).toEqual({
      valid: true,
      checked: 0,
      keyed: false,
      unkeyed: 0,
      orgs: [{ orgId: 'default', valid: true, checked: 0, brokenAt: null, unkeyed: 0 }],
    });
  });
});

describe('append-only storage', () => {
  it('refuses UPDATE and DELETE of audit rows in the database itself', async () => {
    t = await makeTestApp();
    await appendMany(t, 'default', 3);
    await expect(execSql(t, "UPDATE audit_entries SET action = 'x'")).rejects.toThrow(/append-only/);
    await expect(execSql(t, "UPDATE audit_entries SET metadata = '{}' WHERE chain_seq = 2")).rejects.toThrow(/append-only/);
    await expect(execSql(t, 'DELETE FROM audit_entries')).rejects.toThrow(/append-only/);
    await expect(execSql(t, 'DELETE FROM audit_entries WHERE chain_seq = 1')).rejects.toThrow(/append-only/);
    expect((await t.api().get('/api/audit/verify').set(inOrg('default')).expect(200)).body).toEqual({ valid: true, checked: 3, brokenAt: null, keyed: false, unkeyed: 3 });
  });

  it('offers no route that edits or deletes an entry', async () => {
    t = await makeTestApp();
    const [e] = [await t.services.audit.append({ orgId: 'default', actorType: 'user', actorId: 'api', action: 'status' })];
    for (const method of ['put', 'patch', 'delete'] as const) {
      const res = await t.api()[method](`/api/audit/${e!.id}`);
      expect(res.status).toBe(404);
      expect([404, 405]).toContain((await t.api()[method]('/api/audit')).status);
    }
    expect((await t.api().get('/api/audit').expect(200)).body.total).toBe(1);
  });
});
