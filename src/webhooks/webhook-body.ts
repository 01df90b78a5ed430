import type { Request, Response } from 'express';
import { AppError, retryLater } from '../http/errors.js';

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** `25mb` → bytes, with the 1024-based units the config's size values use. */
export function parseByteSize(size: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(size.trim());
  if (!m) throw new Error(`not a size: ${size}`);
  return Math.floor(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

/**
 * Bytes of webhook bodies held in memory at once, across every request of the process.
 * A body is counted from before it is read until its response has closed.
 */
export interface InflightBudget {
  take(bytes: number): boolean;
  give(bytes: number): void;
  readonly used: number;
}

export function createInflightBudget(capBytes: number): InflightBudget {
  let used = 0;
  return {
    take(bytes) {
      if (used + bytes > capBytes) return false;
      used += bytes;
      return true;
    },
    give(bytes) {
      used -= bytes;
    },
    get used() {
      return used;
    },
  };
}

const tooLarge = () => new AppError('PAYLOAD_TOO_LARGE', 'Request body is too large');
const unreadable = () => new AppError('VALIDATION_ERROR', 'The request body could not be read');

const busy = () => retryLater('SERVER_BUSY', 'Too many webhook deliveries are being received at once; retry later');

/**
 * Reads a webhook body into one Buffer, within `limit` and the shared in-flight budget.
 * With a Content-Length both are decided before a byte is read; a chunked body is counted
 * chunk by chunk and refused as soon as it would pass either. A refused body is drained
 * (discarded as it arrives, never kept), so the client still reads the answer.
 */
export function readWebhookBody(req: Request, res: Response, limit: number, budget: InflightBudget): Promise<Buffer> {
  let reserved = 0;
  const reserve = (bytes: number): boolean => {
    if (!budget.take(bytes)) return false;
    if (reserved === 0) res.once('close', () => budget.give(reserved));
    reserved += bytes;
    return true;
  };
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') {
    req.resume();
    return Promise.reject(new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported body encoding or charset'));
  }
  const chunked = req.headers['transfer-encoding'] !== undefined;
  const declared = chunked ? undefined : Number(req.headers['content-length'] ?? 0);
  if (declared === 0) return Promise.resolve(Buffer.alloc(0));
  if (declared !== undefined && !Number.isSafeInteger(declared)) return Promise.reject(unreadable());
  if (declared !== undefined) {
    const refusal = declared > limit ? tooLarge() : reserve(declared) ? undefined : busy();
    if (refusal) {
      req.resume();
      return Promise.reject(refusal);
    }
  }
  return new Promise<Buffer>((resolve, reject) => {
    const whole = declared === undefined ? undefined : Buffer.allocUnsafe(declared);
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (err: AppError | undefined) => {
      req.off('data', onData).off('end', onEnd).off('close', onAbort).off('error', onAbort);
      if (!err) return resolve(whole ?? Buffer.concat(chunks, received));
      req.resume();
      reject(err);
    };
    function onData(chunk: Buffer) {
      const next = received + chunk.length;
      if (whole) {
        if (next > whole.length) return finish(unreadable());
        chunk.copy(whole, received);
      } else {
        if (next > limit) return finish(tooLarge());
        if (!reserve(chunk.length)) return finish(busy());
        chunks.push(chunk);
      }
      received = next;
    }
    function onEnd() {
      finish(whole && received !== whole.length ? unreadable() : undefined);
    }
    function onAbort() {
      finish(unreadable());
    }
    // 'close' before 'end': the client went away mid-body.
    req.on('data', onData).on('end', onEnd).on('close', onAbort).on('error', onAbort);
  });
}
