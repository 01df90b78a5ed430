import type { Request, Response, NextFunction } from 'express';
import { ZodError } from 'zod';
import { AppError, retryLater } from './errors.js';
import type { Logger } from '../logger.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';

interface BodyParserError {
  type?: string;
  status?: number;
}

/** Turns body-parser failures into contract errors; anything unknown stays unknown. */
function fromBodyParser(err: BodyParserError): AppError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError('INVALID_JSON', 'Malformed JSON in request body');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', 'Request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported body encoding or charset');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
    case 'stream.not.readable':
      return new AppError('VALIDATION_ERROR', 'The request body could not be read');
    default:
      return undefined;
  }
}

export function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) {
    const details = err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
    return new AppError('VALIDATION_ERROR', 'Invalid request', details);
  }
  if (isDatabaseUnavailable(err)) return retryLater('DATABASE_UNAVAILABLE', 'The database is unavailable; retry shortly');
  // The router decodes path parameters itself; `/api/agents/%FF` is the client's mistake.
  if (err instanceof URIError) return new AppError('VALIDATION_ERROR', 'Malformed percent-encoding in the URL path');
  if (err && typeof err === 'object') return fromBodyParser(err as BodyParserError);
  return undefined;
}

/** The one place errors become the contract's body; nothing internal reaches a client. */
export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    let appError = toAppError(err);
    if (!appError) {
      logger.error({ err, requestId: res.locals.requestId, method: req.method, url: req.originalUrl }, 'unhandled error');
      appError = new AppError('INTERNAL_ERROR', 'Internal server error');
    }
    const { status } = appError;
    if (appError.retryAfterS !== undefined) res.setHeader('Retry-After', String(appError.retryAfterS));
    res.status(status).json({
      error: appError.message,
      code: appError.code,
      status,
      ...(appError.details ? { details: appError.details } : {}),
    });
  };
}

export function notFoundHandler(_req: Request, _res: Response, next: NextFunction): void {
  next(new AppError('NOT_FOUND', 'Route not found'));
}
