import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { configErrorOf as errorOf } from '../helpers/config-error.js';

describe('DATABASE_URL and DATABASE_POOL_MAX', () => {
  it('default to SQLite (no URL) and a pool of 10', () => {
    const c = loadConfig({});
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.DATABASE_POOL_MAX).toBe(10);
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
  });

  it('take postgres:// and postgresql:// URLs', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/codespar' }).DATABASE_URL).toBe('postgres://u:p@127.0.0.1:5432/codespar');
    expect(loadConfig({ DATABASE_URL: 'postgresql://127.0.0.1/codespar', DATABASE_POOL_MAX: '3' })).toMatchObject({ DATABASE_POOL_MAX: 3 });
  });

  it.each(['mysql://127.0.0.1/x', 'http://127.0.0.1/x', 'not a url', './data/codespar.db'])('refuses %j, naming the variable and not echoing the value', (value) => {
    const message = errorOf({ DATABASE_URL: value });
    expect(message).toMatch(/^Invalid configuration: DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL$/);
  });

  it.each(['0', '-1', '1.5', 'ten', '1001'])('refuses a DATABASE_POOL_MAX of %j', (value) => {
    expect(errorOf({ DATABASE_POOL_MAX: value })).toMatch(/^Invalid configuration: DATABASE_POOL_MAX /);
  });
});
