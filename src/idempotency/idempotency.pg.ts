import { exec, one, scalar, stmt, type Queryable } from '../db/postgres/sql.js';
import { KEPT_REQUEST_ROW, type IdempotencyRepository, type KeptRequest } from './idempotency.repository.js';

const S = {
  get: stmt(
    'idem:get',
    `SELECT ${KEPT_REQUEST_ROW.select()} FROM idempotency_keys WHERE scope = $1 AND key = $2`,
  ),
  // A new claim, or the replacement of an expired one, in one statement: the unique key
  // decides between concurrent claims (the loser waits for the winner's row, then finds it live).
  claim: stmt(
    'idem:claim',
    `INSERT INTO idempotency_keys (scope, key, fingerprint, state, status, body, created_at, expires_at)
     VALUES ($1, $2, $3, 'in_progress', NULL, NULL, $4, $5)
     ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint, state = 'in_progress', status = NULL,
       body = NULL, created_at = excluded.created_at, expires_at = excluded.expires_at
     WHERE idempotency_keys.expires_at <= excluded.created_at
     RETURNING 1`,
  ),
  complete: stmt('idem:complete', "UPDATE idempotency_keys SET state = 'completed', status = $1, body = $2 WHERE scope = $3 AND key = $4"),
  release: stmt('idem:release', 'DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2'),
  prune: stmt('idem:prune', 'DELETE FROM idempotency_keys WHERE expires_at <= $1'),
  abandon: stmt('idem:abandon', "DELETE FROM idempotency_keys WHERE state = 'in_progress'"),
};

export function createIdempotencyPg(q: Queryable): IdempotencyRepository {
  const get = (scope: string, key: string) => one<KeptRequest>(q, S.get, [scope, key]);
  return {
    async claim(c) {
      // The kept row can be released between a refused claim and the read of it: then claim again.
      for (let attempt = 0; attempt < 5; attempt++) {
        if ((await scalar(q, S.claim, [c.scope, c.key, c.fingerprint, c.at, c.expiresAt])) !== undefined) return undefined;
        const kept = await get(c.scope, c.key);
        if (kept) return kept;
      }
      throw new Error(`idempotency key ${c.key} is being claimed and released too fast to settle`);
    },
    get,
    complete: async (scope, key, status, body) => void (await exec(q, S.complete, [status, body, scope, key])),
    release: async (scope, key) => void (await exec(q, S.release, [scope, key])),
    pruneExpired: (now) => exec(q, S.prune, [now]),
    abandonInProgress: () => exec(q, S.abandon),
  };
}
