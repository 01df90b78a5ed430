import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { ApiToken } from '../config.js';
import { AppError } from './errors.js';
import { credentialOfDigest, withCredential } from './credential-context.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Optional bearer tokens bound to orgs. Tokens are compared as SHA-256 digests with
 * timingSafeEqual, every configured token each time, so neither the length nor the
 * position of a match shows in the timing. An org-bound token records its org for
 * orgScope, which confines the request to it.
 */
export function bearerAuth(tokens: readonly ApiToken[]): RequestHandler | undefined {
  if (tokens.length === 0) return undefined;
  const known = tokens.map((t) => ({ digest: digest(t.token), orgId: t.orgId }));
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer[ ]+([\x21-\x7e]+)\s*$/i.exec(header);
    let orgId: string | undefined;
    const presented = match ? digest(match[1]!) : undefined;
    if (presented) {
      for (const k of known) if (timingSafeEqual(presented, k.digest) && orgId === undefined) orgId = k.orgId;
    }
    if (orgId === undefined) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="codespar"');
      return next(new AppError('UNAUTHORIZED', 'Missing or invalid bearer token'));
    }
    res.locals.tokenOrg = orgId;
    // Every audit entry this request writes records which token wrote it.
    withCredential(credentialOfDigest(presented!), res, next);
  };
}
