import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { copySqliteToPostgres, COPIED_TABLES, CopyRefused } from '../../src/db/postgres/copy.js';
import { PG_MIGRATIONS } from '../../src/db/postgres/migrations/index.js';
import { parseCopyArgs } from '../../src/db/postgres/copy-args.js';
import { makeTestApp, inOrg } from '../helpers/app.js';
import { openTestDb } from '../helpers/deps.js';
import { migratedDatabase, onCleanup, pool } from './support.js';
import { freshEmptyDatabase } from '../helpers/pg.js';
import { verifyCopy } from '../../src/db/postgres/copy-verify.js';
import { createSealer } from '../../src/audit/audit.seal.js';

const KEY = 'k'.repeat(40);

/** A SQLite file with something in every kind of table, written through the API. */
async function seededSqlite(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-copy-'));
  onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'codespar.db');
  const t = await makeTestApp({ db: openTestDb(file), env: { AUDIT_HMAC_KEY: KEY } });
  try {
    const api = t.api();
    const org = (await api.post('/api/orgs').send({ name: 'Acme Ünïcode 🚀' }).expect(201)).body.id as string;
    for (const headers of [{}, inOrg(org, 'alice')]) {
      const project = (await api.post('/api/projects').set(headers).send({ repo: 'acme/widget' }).expect(201)).body;
      for (let i = 0; i < 3; i++) await api.post('/api/agents').set(headers).send({ name: `agent ${i} ✓`, type: 'task', projectId: project.id }).expect(201);
      await api.post('/webhooks/deploy').set('x-deploy-id', `dep-${project.id}`).send({ project: project.id, status: 'failed', sha: 'abc1234', message: 'ünï ✓' }).expect(200);
      const approval = (await api.post('/api/approvals').set({ ...headers, 'x-actor-id': 'carol' }).send({ action: 'deploy', description: 'Ship ✓', quorum: 2 }).expect(201)).body;
      await api.post(`/api/approvals/${approval.id}/vote`).set({ ...headers, 'x-actor-id': 'dave' }).send({ vote: 'approve', comment: 'ok' }).expect(200);
      await api.post('/api/channels/web/messages').set(headers).send({ userId: 'u-1', username: 'ünï', text: 'How is the build going?' }).expect(201);
    }
    await api.post('/api/identity').send({ displayName: 'Bob', role: 'maintainer', channels: [{ type: 'slack', userId: 'U1' }] }).expect(201);
    await api.post('/api/webhooks/secret').set(inOrg(org)).expect(201);
    await api.post('/api/scheduler/health-check/run').expect(200);
    await api.post('/api/agents').set({ 'idempotency-key': 'key-1' }).send({ name: 'kept', type: 'task' }).expect(201);
  } finally {
    await t.close();
  }
  // Rows the API writes only when talking to outside services, written as they would be.
  const db = new Database(file);
  db.exec(`
    INSERT INTO channel_settings VALUES ('telegram', '{"botToken":"t"}', '2026-06-01T12:00:00.000Z');
    INSERT INTO webhook_deliveries VALUES ('d-1', 'push', '2026-06-01T12:00:00.000Z');
    INSERT INTO webhook_payloads VALUES ('', '${'ab'.repeat(32)}', 'd-1', '2026-06-01T12:00:00.000Z');
    INSERT INTO webhook_receipts VALUES ('default', '2026-06-01T12:00:00.000Z');
    INSERT INTO org_webhook_activity VALUES ('default', '2026-06-01T12:00:00.000Z');
    INSERT INTO org_members VALUES ('default', (SELECT id FROM identities LIMIT 1), 'maintainer', '2026-06-01T12:00:00.000Z');
  `);
  db.close();
  return file;
}

const canon = (v: unknown) => (Buffer.isBuffer(v) ? `hex:${v.toString('hex')}` : v);
const sortedRows = (rows: Array<Record<string, unknown>>) =>
  rows.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canon(v)])))).sort();

describe('npm run db:copy', () => {
  it('copies every row of every table as stored, and later appends continue the counters', async () => {
    const file = await seededSqlite();
    const target = await migratedDatabase();
    const lines: string[] = [];
    const report = await copySqliteToPostgres({ from: file, to: target.url, progress: (l) => lines.push(l) });

    const lite = new Database(file, { readonly: true });
    onCleanup(async () => lite.close());
    const p = pool(target.url);
    for (const table of COPIED_TABLES) {
      const fromLite = lite.prepare(`SELECT * FROM ${table}`).all() as Array<Record<string, unknown>>;
      const { rows } = await p.query(`SELECT * FROM ${table}`);
      const fromPg = rows.map(({ row_seq: _, ...r }) => r);
      expect(sortedRows(fromPg), table).toEqual(sortedRows(fromLite));
      expect(report.rows[table], table).toBe(fromLite.length);
    }
    expect(report.rows.audit_entries).toBeGreaterThan(10);
    expect(Object.entries(report.rows).filter(([, n]) => n === 0)).toEqual([]);
    expect(lines).toContain(`audit_entries: ${report.rows.audit_entries}/${report.rows.audit_entries}`);
    // Ties in creation time keep SQLite's insertion order.
    const agentOrder = lite.prepare('SELECT id FROM agents ORDER BY created_at, rowid').pluck().all();
    expect((await p.query('SELECT id FROM agents ORDER BY created_at, row_seq')).rows.map((r) => r.id)).toEqual(agentOrder);
    // The copy verifies as the original did, seals included, over the same entries.
    expect(await verifyCopy(target.url, createSealer(KEY))).toEqual({ valid: true, checked: report.rows.audit_entries });
    const lastSeq = lite.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit_entries'").pluck().get() as number;
    expect((await p.query("SELECT nextval(pg_get_serial_sequence('audit_entries', 'seq')) AS n")).rows[0].n).toBe(lastSeq + 1);
  });

  it('verify over the copy says so when a copied entry was changed', async () => {
    const file = await seededSqlite();
    const target = await migratedDatabase();
    const report = await copySqliteToPostgres({ from: file, to: target.url });
    const p = pool(target.url);
    await p.query("BEGIN; SET LOCAL session_replication_role = replica; UPDATE audit_entries SET actor_id = 'mallory' WHERE seq = 3; COMMIT");
    expect(await verifyCopy(target.url)).toEqual({ valid: false, checked: report.rows.audit_entries });
  });

  it('refuses a target that is not empty, and changes nothing in it', async () => {
    const file = await seededSqlite();
    const target = await migratedDatabase();
    const p = pool(target.url);
    await p.query("INSERT INTO orgs (id, name, slug, created_at) VALUES ('org-x', 'X', 'x', '2026-01-01T00:00:00.000Z')");
    await expect(copySqliteToPostgres({ from: file, to: target.url })).rejects.toThrow(
      new CopyRefused('the target database is not empty (orgs has rows); db:copy only fills an empty database'),
    );
    expect((await p.query('SELECT COUNT(*) AS n FROM agents')).rows[0].n).toBe(0);
  });

  it('migrates a target with no schema before copying into it', async () => {
    const file = await seededSqlite();
    const target = await freshEmptyDatabase();
    onCleanup(target.drop);
    const report = await copySqliteToPostgres({ from: file, to: target.url });
    const { rows } = await pool(target.url).query('SELECT COUNT(*) AS n FROM audit_entries');
    expect(rows[0].n).toBe(report.rows.audit_entries);
  });

  it('refuses a SQLite file at another schema version, or one that does not exist', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-copy-'));
    onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const old = new Database(path.join(dir, 'old.db'));
    old.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT); INSERT INTO schema_migrations VALUES (6, 'x', 'y')");
    old.close();
    const target = await migratedDatabase();
    await expect(copySqliteToPostgres({ from: path.join(dir, 'old.db'), to: target.url })).rejects.toThrow(
      `the SQLite database is at schema version 6; start the server on it once to upgrade it to ${PG_MIGRATIONS.at(-1)!.version}, then copy`,
    );
    await expect(copySqliteToPostgres({ from: path.join(dir, 'none.db'), to: target.url })).rejects.toThrow(/^cannot open the SQLite database .*none\.db/);
  });

  it('takes --from and --to, each once, and only a postgres URL as the target', () => {
    expect(parseCopyArgs(['--from', 'a.db', '--to', 'postgres://h/db'])).toEqual({ from: 'a.db', to: 'postgres://h/db' });
    expect(parseCopyArgs(['--to', 'postgresql://h/db', '--from', 'a.db'])).toEqual({ from: 'a.db', to: 'postgresql://h/db' });
    const usage = 'usage: npm run db:copy -- --from <sqlite file> --to <postgres://… URL>';
    for (const bad of [[], ['--from', 'a.db'], ['--from', 'a.db', '--to'], ['--from', 'a.db', '--from', 'b.db'], ['--from', '--to', 'postgres://h/db'], ['-x', '1']]) {
      expect(() => parseCopyArgs(bad), bad.join(' ')).toThrow(usage);
    }
    expect(() => parseCopyArgs(['--from', 'a.db', '--to', 'mysql://h/db'])).toThrow('--to must be a postgres:// or postgresql:// URL');
  });
});
