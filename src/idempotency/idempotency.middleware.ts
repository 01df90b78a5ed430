import { createHash } from 'node:crypto';
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { everyInterval, type Clock } from '../clock.js';
import { AppError } from '../http/errors.js';
import { getScope } from '../http/org-scope.js';
import { rawBodyOf } from '../http/body.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { IdempotencyRepository } from './idempotency.repository.js';

/**
 * A handler sets `res.locals[SENSITIVE_ANSWER] = true` when its answer holds a secret (a
 * rotated webhook secret): the kept copy is then sealed at rest like any stored secret.
 */
// Stryker disable next-line StringLiteral: the routes set it through this constant, so any slot name nothing else uses works ('' too)
export const SENSITIVE_ANSWER = 'sensitiveAnswer';

const TTL_MS = 24 * 3_600_000;
const PRUNE_EVERY_MS = 3_600_000;
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

/** Same method, same path (either prefix), same body bytes: the same request. */
function fingerprint(req: Request, res: Response): string {
  const path = req.originalUrl.replace(/^\/v1\/api\//, '/api/');
  return createHash('sha256').update(`${req.method} ${path}\n`).update(rawBodyOf(res)).digest('hex');
}

/**
 * Stripe-style idempotency keys on POST and DELETE. The first request claims the key
 * and runs; its answer is kept for 24 h per org scope and key. A repeat gets the kept
 * answer with `Idempotent-Replayed: true`; a different request under the key is 422; a
 * repeat while the first still runs is 409.
 */
export function idempotency({ store, clock, box }: { store: () => IdempotencyRepository; clock: Clock; box: SecretBox }): RequestHandler {
  const pruneIfDue = everyInterval(clock, PRUNE_EVERY_MS, (now) => store().pruneExpired(now.toISOString()));

  return async (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST' && req.method !== 'DELETE') return next();
    const key = req.headers['idempotency-key'];
    if (key === undefined) return next();
    if (typeof key !== 'string' || !KEY_PATTERN.test(key) || key.trim() === '') {
      return next(new AppError('VALIDATION_ERROR', 'Idempotency-Key must be 1-255 printable characters'));
    }
    pruneIfDue();
    // Stryker disable next-line StringLiteral: any value no org id can take names the unscoped view ('' as well as '*')
    const scope = getScope(res).orgId ?? '*';
    const sealContext = `idempotency:${scope}:${key}`;
    const print = fingerprint(req, res);
    const now = clock.now();
    const kept = await store().claim({ scope, key, fingerprint: print, at: now.toISOString(), expiresAt: new Date(now.getTime() + TTL_MS).toISOString() });
    if (kept) {
      if (kept.fingerprint !== print) {
        return next(new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different request'));
      }
      if (kept.state === 'in_progress') {
        return next(new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed'));
      }
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(kept.status ?? 200);
      if (kept.status === 204) return void res.end();
      // Stryker disable next-line StringLiteral: a completed key always holds a body (settle writes one)
      const body = kept.body ?? '';
      return void res.type('application/json; charset=utf-8').send(box.open(body, sealContext));
    }

    // Kept when the answer is produced (not on 'finish'): a client that hung up mid-request
    // still finds the outcome when it retries, instead of running the request twice. The
    // answer leaves once it is kept, so a retry sent after it arrives replays it (on
    // PostgreSQL the write is a round trip; a retry racing it would find the key in progress).
    let settled = false;
    const settle = async (status: number, body: string): Promise<void> => {
      if (settled) return;
      settled = true;
      // A failed write leaves the key in progress; the answer goes out all the same.
      await store()
        .complete(scope, key, status, res.locals[SENSITIVE_ANSWER] === true ? box.seal(body, sealContext) : body)
        .catch(() => undefined);
      // The first request's status and body are kept, whatever they are (a 5xx too, as
      // Stripe does); a client that wants another attempt uses a new key. 429s never get
      // here: the limiter answers before a key is claimed.
    };
    // As Express's own res.json (no json settings are set on the app), with the text made once.
    res.json = (b: unknown) => {
      const text = JSON.stringify(b) ?? '';
      void settle(res.statusCode, text)
        .then(() => {
          if (!res.get('Content-Type')) res.set('Content-Type', 'application/json');
          res.send(text);
        })
        // Nothing may reject unheard once the handler has returned: a send that fails drops the connection.
        .catch(() => res.destroy());
      return res;
    };
    res.on('finish', () =>
      // Stryker disable next-line StringLiteral: only 204s answer without res.json, and HTTP drops a 204's body
      void settle(res.statusCode, ''),
    );
    next();
  };
}
