import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createSecretBox, SecretUnreadableError } from '../../src/secrets/secret-box.js';

const KEY = 'k'.repeat(32);

describe('SecretBox (AES-256-GCM, key from SECRETS_KEY)', () => {
  const box = createSecretBox(KEY);

  it('opens what it sealed, for any text, and never shows the text in the sealed form', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.string({ maxLength: 30 }), (plain, context) => {
        const sealed = box.seal(plain, context);
        expect(sealed.startsWith('enc:v1:')).toBe(true);
        if (plain.length >= 4) expect(sealed).not.toContain(plain);
        // Stored as UTF-8: a lone surrogate comes back as U+FFFD, as it would from any text column.
        expect(box.open(sealed, context)).toBe(Buffer.from(plain, 'utf8').toString('utf8'));
      }),
    );
  });

  it('refuses a sealed value changed in any byte, opened under another context, or with another key', () => {
    const sealed = box.seal('top secret', 'webhook-secret:org-a');
    const body = Buffer.from(sealed.slice(7), 'base64url');
    for (let i = 0; i < body.length; i++) {
      const changed = Buffer.from(body);
      changed[i] = changed[i]! ^ 0x01;
      expect(() => box.open(`enc:v1:${changed.toString('base64url')}`, 'webhook-secret:org-a')).toThrow(SecretUnreadableError);
    }
    expect(() => box.open(sealed, 'webhook-secret:org-b')).toThrow(SecretUnreadableError);
    expect(() => createSecretBox('z'.repeat(32)).open(sealed, 'webhook-secret:org-a')).toThrow(SecretUnreadableError);
    expect(() => createSecretBox(undefined).open(sealed, 'webhook-secret:org-a')).toThrow(SecretUnreadableError);
    expect(() => box.open('enc:v1:AAAA', 'x')).toThrow(SecretUnreadableError);
  });

  it('reads plain values (stored before the key was set) as they are; without a key it stores plain text', () => {
    expect(box.open('{"botToken":"t"}', 'channel-settings:slack')).toBe('{"botToken":"t"}');
    const none = createSecretBox(undefined);
    expect(none.enabled).toBe(false);
    expect(none.seal('plain', 'x')).toBe('plain');
  });

  it('opens a value sealed as documented (HKDF-SHA-256 key, AES-256-GCM, nonce + ciphertext + tag in base64url), so values stored by an earlier server still open', () => {
    // Sealed outside this module with nonce 00..0b: enc:v1: + base64url(nonce ‖ ciphertext ‖ tag).
    const stored = 'enc:v1:AAECAwQFBgcICQoLJUD1Gyl-v66Z1T-jfZRGsaGOfODT0ecMFJQuga_-tuW-';
    expect(box.open(stored, 'webhook-secret:org-a')).toBe('top secret \u00e9\u{1F680}');
    expect(() => box.open(stored, 'webhook-secret:org-b')).toThrow(SecretUnreadableError);
  });

  it('seals and opens an empty value; a sealed value too short to hold a nonce and a tag is unreadable', () => {
    const sealed = box.seal('', 'ctx');
    expect(Buffer.from(sealed.slice(7), 'base64url')).toHaveLength(12 + 16);
    expect(box.open(sealed, 'ctx')).toBe('');
    const short = `enc:v1:${Buffer.alloc(27).toString('base64url')}`;
    expect(() => box.open(short, 'ctx')).toThrow(new SecretUnreadableError('ctx'));
    expect(box.isSealed(sealed)).toBe(true);
    expect(box.isSealed('enc:v2:x')).toBe(false);
  });

  it('says which stored secret it cannot open (the server names it when it refuses to start), and nothing of its value', () => {
    const sealed = createSecretBox('z'.repeat(32)).seal('top secret', 'channel-settings:slack');
    let caught: unknown;
    try {
      box.open(sealed, 'channel-settings:slack');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SecretUnreadableError);
    expect(caught).toMatchObject({
      name: 'SecretUnreadableError',
      context: 'channel-settings:slack',
      message: 'stored secret (channel-settings:slack) cannot be decrypted with the configured SECRETS_KEY',
    });
    expect(String(caught)).toBe('SecretUnreadableError: stored secret (channel-settings:slack) cannot be decrypted with the configured SECRETS_KEY');
  });
});
