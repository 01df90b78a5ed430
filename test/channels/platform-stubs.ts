import type http from 'node:http';
import { sendJson, startStub, type Stub, type StubHandler } from '../helpers/stub-server.js';

/** Local stand-ins for the four platforms' "who am I" endpoints, keyed by a good token. */
export interface Platform {
  name: 'telegram' | 'slack' | 'discord' | 'whatsapp';
  /** Env enabling the channel against `url` with `token`. */
  env(url: string, token: string): Record<string, string>;
  /** configure's `config` for `url` and `token`. */
  config(url: string, token: string): Record<string, string>;
  handler(goodToken: string): StubHandler;
  /** The exact request the check must send. */
  expected(token: string): { method: string; path: string; header?: [string, string] };
  badTokenError: string;
}

export const INSTANCE = 'codespar-main';

export const telegram: Platform = {
  name: 'telegram',
  env: (url, token) => ({ ENABLE_TELEGRAM: 'true', TELEGRAM_API_URL: url, TELEGRAM_BOT_TOKEN: token }),
  config: (_url, token) => ({ botToken: token }),
  handler: (good) => (req, res) =>
    req.method === 'GET' && req.path === `/bot${good}/getMe`
      ? sendJson(res, 200, { ok: true, result: { id: 42, is_bot: true, username: 'codespar_bot' } })
      : sendJson(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' }),
  expected: (token) => ({ method: 'GET', path: `/bot${token}/getMe` }),
  badTokenError: 'Telegram getMe failed: HTTP 401 Unauthorized',
};

export const slack: Platform = {
  name: 'slack',
  env: (url, token) => ({ ENABLE_SLACK: 'true', SLACK_API_URL: url, SLACK_BOT_TOKEN: token, SLACK_APP_TOKEN: 'xapp-1-app-token' }),
  config: (_url, token) => ({ botToken: token, appToken: 'xapp-1-app-token' }),
  handler: (good) => (req, res) =>
    req.method === 'POST' && req.path === '/auth.test' && req.headers.authorization === `Bearer ${good}`
      ? sendJson(res, 200, { ok: true, team: 'Acme', user: 'codespar' })
      : sendJson(res, 200, { ok: false, error: 'invalid_auth' }),
  expected: (token) => ({ method: 'POST', path: '/auth.test', header: ['authorization', `Bearer ${token}`] }),
  badTokenError: 'Slack auth.test failed: invalid_auth',
};

export const discord: Platform = {
  name: 'discord',
  env: (url, token) => ({ ENABLE_DISCORD: 'true', DISCORD_API_URL: url, DISCORD_BOT_TOKEN: token }),
  config: (_url, token) => ({ botToken: token }),
  handler: (good) => (req, res) =>
    req.method === 'GET' && req.path === '/users/@me' && req.headers.authorization === `Bot ${good}`
      ? sendJson(res, 200, { id: '1', username: 'codespar', bot: true })
      : sendJson(res, 401, { message: '401: Unauthorized', code: 0 }),
  expected: (token) => ({ method: 'GET', path: '/users/@me', header: ['authorization', `Bot ${token}`] }),
  badTokenError: 'Discord users/@me failed: HTTP 401',
};

export const whatsapp: Platform = {
  name: 'whatsapp',
  env: (url, token) => ({ ENABLE_WHATSAPP: 'true', EVOLUTION_API_URL: url, EVOLUTION_API_KEY: token, EVOLUTION_INSTANCE: INSTANCE }),
  config: (url, token) => ({ evolutionApiUrl: url, evolutionApiKey: token, evolutionInstance: INSTANCE }),
  handler: (good) => (req, res) =>
    req.method === 'GET' && req.path === `/instance/connectionState/${INSTANCE}` && req.headers.apikey === good
      ? sendJson(res, 200, { instance: { instanceName: INSTANCE, state: 'open' } })
      : sendJson(res, 401, { status: 401, error: 'Unauthorized', response: { message: 'Unauthorized' } }),
  expected: (token) => ({ method: 'GET', path: `/instance/connectionState/${INSTANCE}`, header: ['apikey', token] }),
  badTokenError: 'Evolution API connectionState failed: HTTP 401',
};

export const PLATFORMS = [telegram, slack, discord, whatsapp];

/** Never answers: the check must give up on its own. */
export const hang: StubHandler = () => new Promise<void>(() => {});

export const failWith =
  (status: number): StubHandler =>
  (_req, res: http.ServerResponse) =>
    sendJson(res, status, { error: 'unavailable' });

export async function startPlatformStub(p: Platform, goodToken: string): Promise<Stub> {
  return startStub(p.handler(goodToken));
}

/** Polls until `cond` holds (for observing a check that is still running). */
export async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
