import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/open.js';
import { migrate } from '../../src/db/sqlite/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { canonicalMetadata, chainHash, GENESIS_HASH, HASH_PREFIX, stripPrefix } from '../../src/audit/audit.hash.js';
import { riskOf } from '../../src/audit/audit.risk.js';
import type { TestApp } from '../helpers/app.js';
import { allEntries } from '../helpers/audit.js';
import { attack, KEY, serve, tempFolder, verify } from './tamper-support.js';
import { sqliteOf } from '../helpers/app.js';

const folder = tempFolder();
afterAll(() => folder.remove());
let t: TestApp | undefined;
afterEach(() => t?.close());

/** The migration that adds the digests, and every one before it. */
const DIGESTS = 9;
const BEFORE_DIGESTS = MIGRATIONS.filter((m) => m.version < DIGESTS);

/** Appends as the server did before the digest existed: the documented hash chain only. */
function oldAppend(db: Db, orgId: string, i: number, projectId: string | null): void {
  const chain = db.prepare('SELECT head_hash, head_seq FROM audit_chains WHERE org_id = ?').get(orgId) as { head_hash: string; head_seq: number } | undefined;
  const f = {
    timestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
    actorType: i % 2 ? 'user' : 'system',
    actorId: i % 2 ? 'api' : 'audit-cleanup',
    action: ['autonomy_change', 'status', 'deploy'][Math.floor(i / 2) % 3]!,
    result: 'completed',
    metadataJson: canonicalMetadata({ i, text: 'café 🚀' }),
  };
  const hash = HASH_PREFIX + chainHash(chain ? stripPrefix(chain.head_hash) : GENESIS_HASH, f);
  const seq = (chain?.head_seq ?? 0) + 1;
  db.prepare(
    `INSERT INTO audit_entries (id, org_id, chain_seq, timestamp, actor_type, actor_id, action, result, metadata, hash, risk, project_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(`aud-old-${orgId}-${i}`, orgId, seq, f.timestamp, f.actorType, f.actorId, f.action, f.result, f.metadataJson, hash, riskOf(f.action), projectId);
  db.prepare(
    `INSERT INTO audit_chains (org_id, head_hash, head_seq, anchor_hash, anchor_seq) VALUES (?, ?, ?, ?, 0)
     ON CONFLICT (org_id) DO UPDATE SET head_hash = excluded.head_hash, head_seq = excluded.head_seq`,
  ).run(orgId, hash, seq, HASH_PREFIX + GENESIS_HASH);
  db.prepare('INSERT INTO audit_risk_counts (org_id, risk, n) VALUES (?, ?, 1) ON CONFLICT (org_id, risk) DO UPDATE SET n = n + 1').run(orgId, riskOf(f.action));
}

/** A database file at the previous schema version with two orgs' trails; `default` had retention run on it. */
function previousVersionFile(): string {
  const file = folder.file();
  const db = openDatabase(file);
  try {
    expect(migrate(db, BEFORE_DIGESTS)).toEqual(BEFORE_DIGESTS.map((m) => m.version));
    db.prepare("INSERT INTO orgs (id, name, slug, created_at) VALUES ('org-acme', 'Acme', 'acme', '2025-01-01T00:00:00.000Z')").run();
    for (let i = 0; i < 12; i++) oldAppend(db, i % 3 ? 'org-acme' : 'default', i, i % 2 ? 'proj-abc' : null);
    // Retention as it ran then: the first two default entries gone, the anchor recorded.
    const anchor = db.prepare("SELECT hash FROM audit_entries WHERE org_id = 'default' AND chain_seq = 2").pluck().get() as string;
    db.exec('UPDATE audit_retention_gate SET open = 1');
    db.exec("DELETE FROM audit_entries WHERE org_id = 'default' AND chain_seq <= 2");
    db.exec('UPDATE audit_retention_gate SET open = 0');
    db.prepare("UPDATE audit_chains SET anchor_hash = ?, anchor_seq = 2 WHERE org_id = 'default'").run(anchor);
  } finally {
    db.close();
  }
  return file;
}

describe('migration 009 (digests for entries written before it)', () => {
  it('upgrades a database of the previous version in place: every chain verifies, entries unkeyed', async () => {
    const file = previousVersionFile();
    t = await serve(file);
    expect(sqliteOf(t).prepare('SELECT MAX(version) FROM schema_migrations').pluck().get()).toBe(DIGESTS);
    expect(sqliteOf(t).prepare('SELECT COUNT(*) FROM audit_entries WHERE digest IS NULL').pluck().get()).toBe(0);
    expect(await verify(t)).toEqual({
      valid: true,
      checked: 10,
      keyed: false,
      unkeyed: 10,
      orgs: [
        { orgId: 'default', valid: true, checked: 2, brokenAt: null, unkeyed: 2 },
        { orgId: 'org-acme', valid: true, checked: 8, brokenAt: null, unkeyed: 8 },
      ],
    });
    // New entries chain on; the append-only triggers are back.
    await t.api().post('/api/agents').set('x-org-id', 'org-acme').send({ name: 'New', type: 'task' }).expect(201);
    expect(await verify(t, 'org-acme')).toMatchObject({ valid: true, checked: 9 });
    expect(() => sqliteOf(t!).prepare("UPDATE audit_entries SET result = 'x'").run()).toThrow(/append-only/);
    expect(() => sqliteOf(t!).prepare('DELETE FROM audit_entries').run()).toThrow(/append-only/);
  });

  it('then catches what the hash alone missed: a changed risk, project, or shifted boundary', async () => {
    for (const edit of [
      "risk = 'low'",
      "project_id = 'proj-other'",
      "actor_id = 'apiautonomy', action = '_change'",
    ]) {
      const file = previousVersionFile();
      t = await serve(file);
      const victim = (await allEntries(t, 'org-acme')).find((e) => e.action === 'autonomy_change' && e.actorId === 'api')!;
      t.close();
      attack(file, (db) => db.prepare(`UPDATE audit_entries SET ${edit} WHERE id = ?`).run(victim.id));
      t = await serve(file);
      expect(await verify(t, 'org-acme'), edit).toEqual({ valid: false, checked: 8, brokenAt: victim.id, keyed: false, unkeyed: 8 });
      t.close();
      t = undefined;
    }
  });

  it('cannot tell a change made before the upgrade: it is digested as it was found', async () => {
    const file = previousVersionFile();
    const db = openDatabase(file);
    db.exec('DROP TRIGGER audit_no_update');
    db.exec("UPDATE audit_entries SET risk = 'low' WHERE org_id = 'org-acme' AND chain_seq = 1");
    db.close();
    t = await serve(file);
    expect(await verify(t, 'org-acme')).toMatchObject({ valid: true, checked: 8 });
  });

  it('leaves the older entries unkeyed once AUDIT_HMAC_KEY is set, and seals the new ones', async () => {
    const file = previousVersionFile();
    t = await serve(file, KEY);
    await t.api().post('/api/agents').set('x-org-id', 'org-acme').send({ name: 'New', type: 'task' }).expect(201);
    expect(await verify(t, 'org-acme')).toEqual({ valid: true, checked: 9, brokenAt: null, keyed: true, unkeyed: 8 });
  });

  it('rolls back whole when it fails, leaving the file at the previous version', () => {
    const file = previousVersionFile();
    const db = openDatabase(file);
    try {
      const failing = MIGRATIONS.map((m) =>
        m.version === DIGESTS
          ? {
              ...m,
              run: (d: Db) => {
                m.run!(d);
                throw new Error('disk full');
              },
            }
          : m,
      );
      expect(() => migrate(db, failing)).toThrow('disk full');
      expect(db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get()).toBe(DIGESTS - 1);
      expect(db.prepare("SELECT COUNT(*) FROM pragma_table_info('audit_entries') WHERE name = 'digest'").pluck().get()).toBe(0);
      expect(() => db.prepare("UPDATE audit_entries SET result = 'x'").run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });
});
