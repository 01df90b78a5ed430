import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/open.js';
import { migrate } from '../../src/db/sqlite/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { makeTestApp } from '../helpers/app.js';
import { openTestDb } from '../helpers/deps.js';

let dir: string;
const open: Db[] = [];
const track = (db: Db) => (open.push(db), db);
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-db-'));
});
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const versions = (db: Db) => db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();

describe('openDatabase', () => {
  it('creates the folder and tunes the connection (WAL, foreign keys, busy timeout)', () => {
    const file = path.join(dir, 'a', 'b', 'codespar.db');
    const db = track(openDatabase(file));
    expect(fs.existsSync(file)).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('accepts :memory:', () => {
    const db = track(openDatabase(':memory:'));
    expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
  });
});

describe('migrate', () => {
  it('applies every migration once on a new file and creates the default org', () => {
    const file = path.join(dir, 'codespar.db');
    const db = track(openDatabase(file));
    expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(versions(db)).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    expect(db.prepare("SELECT id, slug FROM orgs WHERE id = 'default'").get()).toEqual({ id: 'default', slug: 'default' });
  });

  it('does not re-apply migrations when an existing file is opened again, twice', () => {
    const file = path.join(dir, 'codespar.db');
    const first = track(openDatabase(file));
    migrate(first);
    first.prepare("INSERT INTO orgs (id, name, slug, created_at) VALUES ('org-kept', 'Kept', 'kept', '2026-01-01T00:00:00.000Z')").run();
    first.close();

    for (let i = 0; i < 2; i++) {
      const db = track(openDatabase(file));
      expect(migrate(db)).toEqual([]);
      expect(versions(db)).toHaveLength(MIGRATIONS.length);
      expect(db.prepare('SELECT id FROM orgs ORDER BY id').pluck().all()).toEqual(['default', 'org-kept']);
      db.close();
    }
  });

  it('upgrades an older file in place with only the newer migrations', () => {
    const file = path.join(dir, 'codespar.db');
    const db = track(openDatabase(file));
    migrate(db);
    const next = { version: 9_001, name: 'test-extra', sql: 'CREATE TABLE extra (x TEXT);' };
    expect(migrate(db, [...MIGRATIONS, next])).toEqual([9_001]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'extra'").pluck().get()).toBe('extra');
    expect(migrate(db, [...MIGRATIONS, next])).toEqual([]);
  });

  it('rolls a failing migration back whole, leaving the file at the previous version', () => {
    const db = track(openDatabase(path.join(dir, 'codespar.db')));
    migrate(db);
    const broken = { version: 9_002, name: 'broken', sql: 'CREATE TABLE half (x TEXT); INSERT INTO nowhere VALUES (1);' };
    expect(() => migrate(db, [...MIGRATIONS, broken])).toThrow(/nowhere/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    expect(versions(db)).toHaveLength(MIGRATIONS.length);
  });

  it('lets two apps over the same file see each other', async () => {
    const file = path.join(dir, 'shared.db');
    const a = await makeTestApp({ db: track(openTestDb(file)) });
    const b = await makeTestApp({ db: track(openTestDb(file)) });
    await a.api().post('/api/orgs').send({ name: 'Seen' }).expect(201);
    await b.api().get('/api/orgs/org-seen').expect(200);
  });
});
