import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSealer } from '../../src/audit/audit.seal.js';

const KEY = 'an audit key of at least thirty-two characters';
const hmac = (key: string, message: string) => createHmac('sha256', key).update(message).digest('hex');

/**
 * Seals and the key id by their scheme, restated here: chains store the key id and the seals,
 * so a server must derive both exactly as the one that wrote them, or it no longer knows its
 * own chains after an upgrade.
 */
describe('audit seals, by their scheme', () => {
  it('names a key by the first 16 hex digits of HMAC-SHA-256(key, "codespar audit key id"), and a different key differently', () => {
    const { keyId } = createSealer(KEY);
    expect(keyId).toBe(hmac(KEY, 'codespar audit key id').slice(0, 16));
    expect(createSealer(`${KEY}!`).keyId).not.toBe(keyId);
  });

  it('seals HMAC-SHA-256(key, previous seal + digest), from 64 zeros for the first sealed entry', () => {
    const sealer = createSealer(KEY);
    const digest = 'ab'.repeat(32);
    const first = sealer.seal(null, digest);
    expect(first).toBe(hmac(KEY, '0'.repeat(64) + digest));
    expect(sealer.seal(first, digest)).toBe(hmac(KEY, first + digest));
  });
});
