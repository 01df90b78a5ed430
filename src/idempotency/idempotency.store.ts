import type { Db } from '../db/open.js';

export interface KeptRequest {
  fingerprint: string;
  state: 'in_progress' | 'completed';
  status: number | null;
  body: string | null;
  expiresAt: string;
}

export function createIdempotencyStore(db: Db) {
  const get = db.prepare<[string, string], { fingerprint: string; state: KeptRequest['state']; status: number | null; body: string | null; expires_at: string }>(
    'SELECT fingerprint, state, status, body, expires_at FROM idempotency_keys WHERE scope = ? AND key = ?',
  );
  const claim = db.prepare(
    `INSERT INTO idempotency_keys (scope, key, fingerprint, state, created_at, expires_at) VALUES (?, ?, ?, 'in_progress', ?, ?)`,
  );
  const complete = db.prepare(`UPDATE idempotency_keys SET state = 'completed', status = ?, body = ? WHERE scope = ? AND key = ?`);
  const release = db.prepare('DELETE FROM idempotency_keys WHERE scope = ? AND key = ?');
  const prune = db.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?');
  const abandon = db.prepare("DELETE FROM idempotency_keys WHERE state = 'in_progress'");
  return {
    get(scope: string, key: string): KeptRequest | undefined {
      const r = get.get(scope, key);
      return r && { fingerprint: r.fingerprint, state: r.state, status: r.status, body: r.body, expiresAt: r.expires_at };
    },
    claim: (scope: string, key: string, fingerprint: string, at: string, expiresAt: string): void => void claim.run(scope, key, fingerprint, at, expiresAt),
    complete: (scope: string, key: string, status: number, body: string): void => void complete.run(status, body, scope, key),
    release: (scope: string, key: string): void => void release.run(scope, key),
    pruneExpired: (now: string): number => prune.run(now).changes,
    /** At start-up nothing is running: claims a crash left behind would block retries for 24 h. */
    abandonInProgress: (): number => abandon.run().changes,
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
