import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Paths that may carry a secret; pino replaces them before a line is written. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-hub-signature"]',
  'req.headers.apikey',
  'req.headers.cookie',
  '*.botToken',
  '*.appToken',
  '*.evolutionApiKey',
  '*.token',
  '*.secret',
  'config.*.botToken',
  'config.*.appToken',
  'config.*.evolutionApiKey',
  // Channel settings as they travel: a configure body, a stored settings record.
  '*.config.botToken',
  '*.config.appToken',
  '*.config.evolutionApiKey',
  'settings.botToken',
  'settings.appToken',
  'settings.evolutionApiKey',
  '*.settings.botToken',
  '*.settings.appToken',
  '*.settings.evolutionApiKey',
  '*.apikey',
];

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
