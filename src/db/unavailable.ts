/** Socket failures the driver passes on as they are, when the database server cannot be reached. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** PostgreSQL's own: shutting down or starting up, too many connections. */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
/** What the pg driver and its pool say when a connection is lost or cannot be had in time. */
const DRIVER_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * Whether an error means the database is out of reach (for now), rather than that a
 * request or a statement was wrong: such a request is answered 503 DATABASE_UNAVAILABLE, and
 * the next one tries again (the pool opens fresh connections when the server is back).
 * Only the error itself is read, not its cause: an outbound call that failed is its own
 * service's error.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || SERVER_CODES.has(code) || SOCKET_CODES.has(code))) return true;
  return DRIVER_MESSAGES.test(err.message);
}
