import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

/** The message of the ConfigError loadConfig throws for `env` (fails the test when it does not throw one). */
export function configErrorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}
