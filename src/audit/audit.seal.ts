import { createHmac } from 'node:crypto';
import { GENESIS_HASH } from './audit.hash.js';

/**
 * Seals: with AUDIT_HMAC_KEY set, each entry carries
 *   seal = hmac_sha256_hex(key, previousSeal + digest)
 * chained from the previous entry's seal. Whoever can write the database but not read the
 * key can recompute every hash and digest, but not a seal.
 *
 * A key seals a chain from one entry on (the chain records which key, by its id, and from
 * where); that first entry chains from 64 zeros. keyId names the key without revealing it,
 * so a chain sealed by an earlier key is told apart from one this key seals.
 */
export interface Sealer {
  keyId: string;
  /** The seal of an entry whose digest is `digest`, after an entry sealed `previousSeal` (null: the first one). */
  seal(previousSeal: string | null, digest: string): string;
}

export function createSealer(key: string): Sealer {
  const keyBytes = Buffer.from(key, 'utf8');
  const mac = (message: string) => createHmac('sha256', keyBytes).update(message).digest('hex');
  return {
    keyId: mac('codespar audit key id').slice(0, 16),
    seal: (previousSeal, digest) => mac((previousSeal ?? GENESIS_HASH) + digest),
  };
}
