import type { Db } from '../db/open.js';
import { KEPT_REQUEST_ROW, type IdempotencyRepository, type KeptRequest } from './idempotency.repository.js';

type Row = Record<string, unknown>;
const toKept = (r: Row): KeptRequest => KEPT_REQUEST_ROW.read(r);

export function createIdempotencySqlite(db: Db): IdempotencyRepository {
  const get = db.prepare<[string, string], Row>(`SELECT ${KEPT_REQUEST_ROW.select()} FROM idempotency_keys WHERE scope = ? AND key = ?`);
  const claim = db.prepare(
    `INSERT INTO idempotency_keys (scope, key, fingerprint, state, created_at, expires_at) VALUES (?, ?, ?, 'in_progress', ?, ?)`,
  );
  const complete = db.prepare(`UPDATE idempotency_keys SET state = 'completed', status = ?, body = ? WHERE scope = ? AND key = ?`);
  const release = db.prepare('DELETE FROM idempotency_keys WHERE scope = ? AND key = ?');
  const prune = db.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?');
  const abandon = db.prepare("DELETE FROM idempotency_keys WHERE state = 'in_progress'");
  // Synchronous on the one connection: nothing runs between the read and the claim.
  const claimTx = db.transaction((scope: string, key: string, fingerprint: string, at: string, expiresAt: string): KeptRequest | undefined => {
    const row = get.get(scope, key);
    const kept = row && toKept(row);
    if (kept && kept.expiresAt <= at) release.run(scope, key);
    else if (kept) return kept;
    claim.run(scope, key, fingerprint, at, expiresAt);
    return undefined;
  });
  return {
    claim: async (c) => claimTx(c.scope, c.key, c.fingerprint, c.at, c.expiresAt),
    async get(scope, key) {
      const r = get.get(scope, key);
      return r && toKept(r);
    },
    complete: async (scope, key, status, body) => void complete.run(status, body, scope, key),
    release: async (scope, key) => void release.run(scope, key),
    pruneExpired: async (now) => prune.run(now).changes,
    abandonInProgress: async () => abandon.run().changes,
  };
}
