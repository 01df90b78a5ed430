import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Paths that may carry a secret; pino replaces them before a line is written. */
export const REDACT_PATHS = [
  // Fixed paths only: wildcard paths make pino walk every log line's objects.
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers.apikey',
  'req.headers["x-hub-signature-256"]',
  'headers.authorization',
  'headers.apikey',
  'token',
  'secret',
  'apikey',
  'botToken',
  'appToken',
  'evolutionApiKey',
  'config.botToken',
  'config.appToken',
  'config.evolutionApiKey',
  'settings.botToken',
  'settings.appToken',
  'settings.evolutionApiKey',
  'body.config.botToken',
  'body.config.appToken',
  'body.config.evolutionApiKey',
]

/**
 * Without a destination, lines go to stdout through an asynchronous sonic-boom: lines that
 * arrive while a write is in flight are coalesced into the next one, so under load the
 * request path does not pay a syscall per line, and a quiet server still logs at once.
 * server.ts flushes it before exiting.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const dest = destination ?? pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    dest,
  );
}
