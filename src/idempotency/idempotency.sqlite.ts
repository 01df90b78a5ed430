import type { Db } from '../db/open.js';
import type { IdempotencyRepository, KeptRequest } from './idempotency.repository.js';

interface Row {
  fingerprint: string;
  state: KeptRequest['state'];
  status: number | null;
  body: string | null;
  expires_at: string;
}

const toKept = (r: Row): KeptRequest => ({ fingerprint: r.fingerprint, state: r.state, status: r.status, body: r.body, expiresAt: r.expires_at });

export function createIdempotencySqlite(db: Db): IdempotencyRepository {
  const get = db.prepare<[string, string], Row>('SELECT fingerprint, state, status, body, expires_at FROM idempotency_keys WHERE scope = ? AND key = ?');
  const claim = db.prepare(
    `INSERT INTO idempotency_keys (scope, key, fingerprint, state, created_at, expires_at) VALUES (?, ?, ?, 'in_progress', ?, ?)`,
  );
  const complete = db.prepare(`UPDATE idempotency_keys SET state = 'completed', status = ?, body = ? WHERE scope = ? AND key = ?`);
  const release = db.prepare('DELETE FROM idempotency_keys WHERE scope = ? AND key = ?');
  const prune = db.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?');
  const abandon = db.prepare("DELETE FROM idempotency_keys WHERE state = 'in_progress'");
  // Synchronous on the one connection: nothing runs between the read and the claim.
  const claimTx = db.transaction((scope: string, key: string, fingerprint: string, at: string, expiresAt: string): KeptRequest | undefined => {
    const kept = get.get(scope, key);
    if (kept && kept.expires_at <= at) release.run(scope, key);
    else if (kept) return toKept(kept);
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
