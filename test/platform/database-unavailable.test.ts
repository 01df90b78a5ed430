import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../src/db/unavailable.js';
import { toAppError } from '../../src/http/error-handler.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('an unreachable database', () => {
  it('is told by the socket, server or driver error the database driver raises', () => {
    for (const e of [
      withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      withCode('ECONNRESET'),
      withCode('08006', 'connection failure'),
      withCode('08001'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P03', 'the database system is starting up'),
      withCode('53300', 'sorry, too many clients already'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      expect(isDatabaseUnavailable(e), e.message).toBe(true);
      expect(toAppError(e)).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE', message: 'The database is unavailable; retry shortly' });
    }
  });

  it('is not any other failure: a bad statement, a broken rule, an outbound call that failed, a non-error', () => {
    const outbound = Object.assign(new TypeError('fetch failed'), { cause: withCode('ECONNREFUSED') });
    for (const e of [withCode('23505', 'duplicate key value'), withCode('42P01', 'relation does not exist'), withCode('22021'), outbound, new Error('boom'), 'ECONNREFUSED', { code: '08006' }, null]) {
      expect(isDatabaseUnavailable(e), String(e)).toBe(false);
    }
    expect(toAppError(withCode('23505'))).toBeUndefined();
  });
});
