import { rowShape } from '../db/row-shape.js';
export interface KeptRequest {
  fingerprint: string;
  state: 'in_progress' | 'completed';
  status: number | null;
  body: string | null;
  expiresAt: string;
}

/** How an `idempotency_keys` row reads as a KeptRequest, on either engine. */
export const KEPT_REQUEST_ROW = rowShape<KeptRequest>({
  fingerprint: 'fingerprint',
  state: 'state',
  status: 'status',
  body: 'body',
  expiresAt: 'expires_at',
});

export interface IdempotencyClaim {
  scope: string;
  key: string;
  fingerprint: string;
  /** Now, as an ISO time: a kept request that expired at or before it is replaced. */
  at: string;
  expiresAt: string;
}

/** Idempotency keys, per org scope (`*` for the unscoped view). */
export interface IdempotencyRepository {
  /**
   * Atomically: the live request kept under the key, or (none, or expired) a new
   * `in_progress` claim for this one, answered by `undefined`. Two concurrent claims of one
   * key never both get `undefined`.
   */
  claim(c: IdempotencyClaim): Promise<KeptRequest | undefined>;
  get(scope: string, key: string): Promise<KeptRequest | undefined>;
  complete(scope: string, key: string, status: number, body: string): Promise<void>;
  release(scope: string, key: string): Promise<void>;
  pruneExpired(now: string): Promise<number>;
  /** At start-up nothing is running: claims a crash left behind would block retries for 24 h. */
  abandonInProgress(): Promise<number>;
}
