import { randomUUID } from 'node:crypto';
import type { Request, Response, NextFunction } from 'express';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** First middleware: every response carries the API version and a request id. */
export function requestContext(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  res.setHeader('X-API-Version', 'v1');
  next();
}
