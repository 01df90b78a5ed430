import type { ChannelAdapter } from './adapter.js';
import { field, probe } from './http-probe.js';

/** Bot tokens look like `123456:ABC-def`; keep the colon readable in the path. */
const pathToken = (token: string): string => encodeURIComponent(token).replace(/%3A/gi, ':');

export const telegramAdapter: ChannelAdapter = {
  name: 'telegram',
  fields: [{ key: 'botToken', env: 'TELEGRAM_BOT_TOKEN', secret: true }],
  async check(settings, { config, timeoutMs }) {
    const url = `${config.TELEGRAM_API_URL}/bot${pathToken(settings.botToken!)}/getMe`;
    const r = await probe('Telegram API', url, { method: 'GET' }, timeoutMs);
    if (!r.ok) return { connected: false, error: r.error };
    if (field(r.json, 'ok') === true) return { connected: true, error: null };
    const description = field(r.json, 'description');
    return {
      connected: false,
      error: `Telegram getMe failed: HTTP ${r.status}${typeof description === 'string' ? ` ${description}` : ''}`,
    };
  },
};
