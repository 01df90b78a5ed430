import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { inOrg, makeTestApp, type TestApp } from '../helpers/app.js';
import { openTestDb } from '../helpers/deps.js';
import { chainHash, HASH_PREFIX, stripPrefix } from '../../src/audit/audit.hash.js';
import { chainDigest, ENCODING_SQL } from '../../src/audit/audit.digest.js';

export const KEY = 'test-audit-hmac-key-0123456789-abcdef';
export const OTHER_KEY = 'another-audit-hmac-key-0123456789-xyz';

/** A folder for database files, removed by the returned cleanup. */
export function tempFolder(): { file: () => string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-tamper-'));
  return { file: () => path.join(dir, `${randomUUID()}.db`), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The server (an app over the file), started with or without AUDIT_HMAC_KEY. */
export const serve = async (file: string, key?: string): Promise<TestApp> => await makeTestApp({ db: openTestDb(file), env: key ? { AUDIT_HMAC_KEY: key } : {} });

/**
 * What someone who can write the database file does, with the server stopped: opens it with
 * a connection of their own, drops the append-only triggers and ignores CHECK constraints.
 */
export function attack(file: string, edit: (db: Database.Database) => void): void {
  const db = new Database(file);
  try {
    db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
    db.pragma('ignore_check_constraints = ON');
    edit(db);
  } finally {
    db.close();
  }
}

type Row = {
  seq: number;
  timestamp: string;
  actor_type: string;
  actor_id: string;
  action: string;
  result: string;
  metadata: string;
  hash: string;
  digest: string;
};

/**
 * Rewrites one org's chain from position `from` on as a careful attacker without the key
 * would: `change` edits the row at `from`, then every hash and digest from there on is
 * recomputed in order (the formats are documented) and the chain's head updated to match.
 * Seals cannot be recomputed; they are left as they were.
 */
export function rewriteFrom(db: Database.Database, orgId: string, from: number, change: (db: Database.Database, seq: number) => void): void {
  const at = db.prepare<[string, number], Row>('SELECT * FROM audit_entries WHERE org_id = ? AND chain_seq = ?');
  const encodingOf = db.prepare<[number], string>(`SELECT ${ENCODING_SQL} FROM audit_entries WHERE seq = ?`).pluck();
  const before = at.get(orgId, from)!;
  change(db, before.seq);
  if (JSON.stringify(db.prepare('SELECT * FROM audit_entries WHERE seq = ?').get(before.seq)) === JSON.stringify(before)) {
    throw new Error('the rewrite changed nothing');
  }
  const prev = from > 1 ? at.get(orgId, from - 1) : undefined;
  let prevHash = prev?.hash ?? HASH_PREFIX + '0'.repeat(64);
  let prevDigest = prev?.digest ?? '0'.repeat(64);
  const setHash = db.prepare('UPDATE audit_entries SET hash = ? WHERE seq = ?');
  const setDigest = db.prepare('UPDATE audit_entries SET digest = ? WHERE seq = ?');
  for (let position = from; ; position++) {
    const r = at.get(orgId, position);
    if (!r) break;
    const hash = HASH_PREFIX + chainHash(stripPrefix(prevHash), { timestamp: r.timestamp, actorType: r.actor_type, actorId: r.actor_id, action: r.action, result: r.result, metadataJson: r.metadata });
    setHash.run(hash, r.seq);
    const digest = chainDigest(prevDigest, encodingOf.get(r.seq)!);
    setDigest.run(digest, r.seq);
    prevHash = hash;
    prevDigest = digest;
  }
  db.prepare('UPDATE audit_chains SET head_hash = ?, head_digest = ? WHERE org_id = ?').run(prevHash, prevDigest, orgId);
}

/** GET /api/audit/verify for one org, or for all without one. */
export async function verify(app: TestApp, orgId?: string): Promise<Record<string, unknown>> {
  const req = app.api().get('/api/audit/verify');
  return (await (orgId ? req.set(inOrg(orgId)) : req).expect(200)).body as Record<string, unknown>;
}
