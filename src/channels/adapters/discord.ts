import type { ChannelAdapter } from './adapter.js';
import { probe } from './http-probe.js';

export const discordAdapter: ChannelAdapter = {
  name: 'discord',
  fields: [{ key: 'botToken', env: 'DISCORD_BOT_TOKEN', secret: true }],
  async check(settings, { config, timeoutMs }) {
    const r = await probe(
      'Discord API',
      `${config.DISCORD_API_URL}/users/@me`,
      { method: 'GET', headers: { authorization: `Bot ${settings.botToken!}` } },
      timeoutMs,
    );
    if (!r.ok) return { connected: false, error: r.error };
    if (r.status === 200) return { connected: true, error: null };
    return { connected: false, error: `Discord users/@me failed: HTTP ${r.status}` };
  },
};
