import express, { type Request, type Response, type NextFunction, type RequestHandler } from 'express';
import { AppError } from './errors.js';
import { isSoundJsonText } from './json-text.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** A request carries a body when it says so with a non-zero length or chunked encoding. */
export function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const len = req.headers['content-length'];
  return len !== undefined && len !== '0';
}

export function isJsonRequest(req: Request): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  return JSON_TYPE.test(type);
}

/** The bytes of the JSON body as received (empty when there was none). */
export const rawBodyOf = (res: Response): Buffer => (res.locals.rawBody as Buffer | undefined) ?? Buffer.alloc(0);

/**
 * JSON bodies only: a body with another content type is 415; primitives and arrays
 * parse (strict: false) so the route's schema can answer VALIDATION_ERROR for them.
 * The raw bytes are checked for sound UTF-8 and kept for idempotency fingerprints: hashing
 * them needs no recursion, which re-serializing a hostile, deeply nested body would.
 */
export function jsonBody(limit: string): RequestHandler {
  const parse = express.json({
    limit,
    strict: false,
    type: () => true,
    verify: (_req, res, buf) => {
      // Text the parser would accept but silently alter (invalid UTF-8 turns into U+FFFD, a
      // lone surrogate cannot be stored) fails as malformed JSON, before anything runs.
      if (!isSoundJsonText(buf)) throw Object.assign(new Error('JSON text that cannot be stored unchanged'), { type: 'entity.parse.failed' });
      (res as Response).locals.rawBody = buf;
    },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    // Only the methods that carry a body: a body on DELETE (or GET) means nothing here and is
    // left unread rather than refused with codes those operations do not document.
    if (!BODY_METHODS.has(req.method) || !hasBody(req)) return next();
    if (!isJsonRequest(req)) {
      return next(new AppError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json'));
    }
    // A charset parameter is fine. JSON is UTF-8 by definition (RFC 8259), so the body
    // is read as UTF-8 whatever the parameter says, rather than refused by the parser for
    // spellings such as `utf8` or `iso-8859-1`.
    req.headers['content-type'] = 'application/json';
    parse(req, res, next);
  };
}
