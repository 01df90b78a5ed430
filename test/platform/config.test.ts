import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { configErrorOf as errorOf } from '../helpers/config-error.js';

describe('loadConfig', () => {
  it('has the documented defaults with no variables at all', () => {
    expect(loadConfig({})).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      DATABASE_PATH: './data/codespar.db',
      LOG_LEVEL: 'info',
      TRUST_PROXY: false,
      CORS_ORIGINS: '*',
      RATE_LIMIT_WINDOW_MS: 60_000,
      RATE_LIMIT_MAX: 100,
      WEBHOOK_RATE_LIMIT_MAX: 30,
      JSON_BODY_LIMIT: '1mb',
      WEBHOOK_BODY_LIMIT: '25mb',
      GITHUB_API_URL: 'https://api.github.com',
      AUDIT_RETENTION_DAYS: 365,
      SCHEDULER_ENABLED: true,
      ENABLE_WHATSAPP: false,
      ENABLE_SLACK: false,
      ENABLE_DISCORD: false,
      ENABLE_TELEGRAM: false,
      SLACK_API_URL: 'https://slack.com/api',
      DISCORD_API_URL: 'https://discord.com/api/v10',
      TELEGRAM_API_URL: 'https://api.telegram.org',
      CHANNEL_CONNECT_TIMEOUT_MS: 5000,
      API_TOKENS: [],
    });
    const c = loadConfig({});
    expect([c.GITHUB_TOKEN, c.GITHUB_WEBHOOK_SECRET, c.WEBHOOK_BASE_URL]).toEqual([undefined, undefined, undefined]);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("has the documented defaults of the variables added for replicas, live events, deploys and metrics", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ DATABASE_POOL_MAX: 10, EVENTS_HEARTBEAT_MS: 15_000, EVENTS_MAX_STREAMS: 1000 });
    expect([c.DATABASE_URL, c.REDIS_URL, c.AUDIT_HMAC_KEY, c.SECRETS_KEY, c.DEPLOY_WEBHOOK_SECRET, c.METRICS_TOKEN]).toEqual(Array(6).fill(undefined));
    expect(loadConfig({ EVENTS_HEARTBEAT_MS: '200', EVENTS_MAX_STREAMS: '5' })).toMatchObject({ EVENTS_HEARTBEAT_MS: 200, EVENTS_MAX_STREAMS: 5 });
  });

  it.each([
    ['EVENTS_HEARTBEAT_MS', '0'],
    ['EVENTS_HEARTBEAT_MS', 'often'],
    ['EVENTS_MAX_STREAMS', '0'],
    ['EVENTS_MAX_STREAMS', '-1'],
  ])('refuses %s=%j, naming it', (name, value) => {
    expect(errorOf({ [name]: value })).toMatch(new RegExp(`^Invalid configuration: ${name} `));
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', RATE_LIMIT_MAX: ' ', SCHEDULER_ENABLED: '' })).toMatchObject({ PORT: 3000, RATE_LIMIT_MAX: 100, SCHEDULER_ENABLED: true });
  });

  it.each([
    ['true', true],
    ['false', false],
    ['1', 1],
    ['2', 2],
    ['10.0.0.1, 10.0.0.0/8', ['10.0.0.1', '10.0.0.0/8']],
    ['loopback', ['loopback']],
  ])('reads TRUST_PROXY=%j', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
  });

  it('reads flags, lists and URLs', () => {
    const c = loadConfig({
      SCHEDULER_ENABLED: 'false',
      ENABLE_SLACK: 'true',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      GITHUB_API_URL: 'http://127.0.0.1:9999/',
      RATE_LIMIT_MAX: '0',
      API_TOKENS: 'tok-a:org-acme, tok-b:*',
    });
    expect(c).toMatchObject({
      SCHEDULER_ENABLED: false,
      ENABLE_SLACK: true,
      CORS_ORIGINS: ['https://a.example', 'https://b.example'],
      GITHUB_API_URL: 'http://127.0.0.1:9999',
      RATE_LIMIT_MAX: 0,
      API_TOKENS: [
        { token: 'tok-a', orgId: 'org-acme' },
        { token: 'tok-b', orgId: '*' },
      ],
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '3000.5'],
    ['PORT', '65536'],
    ['RATE_LIMIT_MAX', '-1'],
    ['RATE_LIMIT_WINDOW_MS', '0'],
    ['AUDIT_RETENTION_DAYS', 'forever'],
    ['SCHEDULER_ENABLED', 'maybe'],
    ['ENABLE_TELEGRAM', 'sure'],
    ['LOG_LEVEL', 'verbose'],
    ['JSON_BODY_LIMIT', 'a lot'],
    ['WEBHOOK_BASE_URL', 'not a url'],
    ['TELEGRAM_API_URL', 'file:///etc/passwd'],
  ])('names %s in one line for %j', (name, value) => {
    const message = errorOf({ [name]: value });
    expect(message).toMatch(new RegExp(`^Invalid configuration: ${name} `));
    expect(message).not.toContain('\n');
  });

  it('does not echo the value of a secret', () => {
    const message = errorOf({ API_TOKENS: 'no-colon-secret' });
    expect(message).toContain('API_TOKENS');
    expect(message).not.toContain('no-colon-secret');
  });
});
