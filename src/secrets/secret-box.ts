import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Marks a sealed value; plain values (written before SECRETS_KEY was set) never start with it. */
const PREFIX = 'enc:v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A stored secret that cannot be opened: sealed with another key, or no key configured. */
export class SecretUnreadableError extends Error {
  constructor(readonly context: string) {
    super(`stored secret (${context}) cannot be decrypted with the configured SECRETS_KEY`);
    this.name = 'SecretUnreadableError';
  }
}

/**
 * Encryption at rest for secrets kept in the database (webhook secrets, channel settings).
 * AES-256-GCM with a fresh 96-bit nonce per value; the key is derived from SECRETS_KEY with
 * HKDF-SHA-256 at start-up and lives only in memory. `context` (e.g. `webhook-secret:org-acme`)
 * is bound in as additional authenticated data, so a sealed value copied onto another row
 * does not open there.
 */
export interface SecretBox {
  /** True when SECRETS_KEY is set; without it values are stored as given. */
  readonly enabled: boolean;
  seal(plain: string, context: string): string;
  /** The plain text of a stored value; a value stored before the key was set is returned as is. */
  open(stored: string, context: string): string;
  isSealed(stored: string): boolean;
}

export function createSecretBox(secretsKey: string | undefined): SecretBox {
  const key = secretsKey === undefined ? undefined : Buffer.from(hkdfSync('sha256', secretsKey, 'codespar-secrets-at-rest', 'aes-256-gcm v1', 32));
  const isSealed = (stored: string) => stored.startsWith(PREFIX);
  return {
    enabled: key !== undefined,
    isSealed,
    seal(plain, context) {
      if (!key) return plain;
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
    },
    open(stored, context) {
      if (!isSealed(stored)) return stored;
      if (!key) throw new SecretUnreadableError(context);
      const packed = Buffer.from(stored.slice(PREFIX.length), 'base64url');
      // Said outright rather than left to the cipher: a value this short cannot carry a tag that
      // authenticates, so the try block below refuses it the same way.
      // Stryker disable next-line ConditionalExpression,ArithmeticOperator: GCM authentication refuses it below too
      if (packed.length < NONCE_BYTES + TAG_BYTES) throw new SecretUnreadableError(context);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, packed.subarray(0, NONCE_BYTES));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(packed.subarray(packed.length - TAG_BYTES));
        return Buffer.concat([decipher.update(packed.subarray(NONCE_BYTES, packed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretUnreadableError(context);
      }
    },
  };
}

/** What a start-up pass over the stored secrets found (see each store's `reseal`). */
export interface ResealReport {
  /** Plain values now sealed (only with a key). */
  sealed: number;
  /** Where a value could not be opened, e.g. `channel settings of slack`. */
  unreadable: string[];
}
