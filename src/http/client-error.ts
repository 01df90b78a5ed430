import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';

const TIMEOUTS = new Set(['ERR_HTTP_REQUEST_TIMEOUT', 'HPE_HEADERS_TIMEOUT']);

/**
 * Requests Node's HTTP parser refuses (a bare CR or LF in a header, NUL bytes, oversized
 * headers, a malformed request line) never reach Express. They are answered here in the
 * contract's error shape instead of Node's bodiless `400 Bad Request`; a client that hung
 * up or timed out gets nothing.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || (err.code !== undefined && TIMEOUTS.has(err.code)) || !socket.writable) {
    socket.destroy();
    return;
  }
  const message = err.code === 'HPE_HEADER_OVERFLOW' ? 'Request headers are too large' : 'Malformed HTTP request';
  const body = JSON.stringify({ error: message, code: 'VALIDATION_ERROR', status: 400 });
  socket.end(
    'HTTP/1.1 400 Bad Request\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'X-API-Version: v1\r\n' +
      `X-Request-Id: ${randomUUID()}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
