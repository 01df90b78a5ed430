import { hash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);
export const HASH_PREFIX = 'sha256:';

export interface HashedFields {
  timestamp: string;
  actorType: string;
  actorId: string;
  action: string;
  result: string;
  /** JSON.stringify of the metadata exactly as the API returns it. */
  metadataJson: string;
}

/** What an entry contributes to its hash: timestamp + actorType + actorId + action + result + metadata. */
export const hashedBody = (f: HashedFields): string => f.timestamp + f.actorType + f.actorId + f.action + f.result + f.metadataJson;

/** The documented formula: sha256_hex(previousHashHex + hashedBody). */
export function chainHashOfBody(previousHex: string, body: string): string {
  // One-shot crypto.hash is about twice as fast as createHash().update().digest().
  return hash('sha256', previousHex + body, 'hex');
}

/** The documented formula: sha256_hex(previousHashHex + timestamp + actorType + actorId + action + result + metadata). */
export const chainHash = (previousHex: string, f: HashedFields): string => chainHashOfBody(previousHex, hashedBody(f));

export const stripPrefix = (hash: string): string => (hash.startsWith(HASH_PREFIX) ? hash.slice(HASH_PREFIX.length) : hash);

/**
 * The stored form of metadata: parse(stringify(x)) drops undefined values and
 * functions, so what we hash is byte-for-byte what a client later stringifies.
 */
export function canonicalMetadata(metadata: Record<string, unknown> | undefined): string {
  const once = JSON.stringify(metadata ?? {});
  return JSON.stringify(JSON.parse(once));
}
