import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

interface RequestCredential {
  credential: string;
  res: ServerResponse;
}

const context = new AsyncLocalStorage<RequestCredential>();

/**
 * What the audit trail records of a bearer token: `tok_` and 12 hex characters of its
 * SHA-256. It names which configured token acted (x-actor-id is only a label the caller
 * picks) without putting anything usable as the token into the trail.
 */
export const credentialOf = (token: string): string => credentialOfDigest(createHash('sha256').update(token).digest());

/** The same, from the token's SHA-256 digest (bearer auth has computed it already). */
export const credentialOfDigest = (sha256: Buffer): string => `tok_${sha256.toString('hex').slice(0, 12)}`;

/** Runs the rest of a token-authenticated request with its credential in context. */
export function withCredential(credential: string, res: ServerResponse, fn: () => void): void {
  context.run({ credential, res }, fn);
}

/**
 * The credential of the request the caller runs in, while that request is still being
 * answered. Timers armed during a request (a resumed cron task) keep its async context
 * for good; once the answer is sent, what they do is no longer that request's doing.
 */
export function currentCredential(): string | undefined {
  const c = context.getStore();
  return c && !c.res.writableEnded ? c.credential : undefined;
}
