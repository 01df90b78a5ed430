import type { ChannelAdapter } from './adapter.js';
import { field, probe } from './http-probe.js';

export const slackAdapter: ChannelAdapter = {
  name: 'slack',
  fields: [
    { key: 'botToken', env: 'SLACK_BOT_TOKEN', secret: true },
    // Socket Mode needs it to receive events; auth.test only checks the bot token.
    { key: 'appToken', env: 'SLACK_APP_TOKEN', secret: true },
  ],
  async check(settings, { config, timeoutMs }) {
    const r = await probe(
      'Slack API',
      `${config.SLACK_API_URL}/auth.test`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${settings.botToken!}`, 'content-type': 'application/x-www-form-urlencoded' },
      },
      timeoutMs,
    );
    if (!r.ok) return { connected: false, error: r.error };
    if (field(r.json, 'ok') === true) return { connected: true, error: null };
    const reason = field(r.json, 'error');
    return { connected: false, error: `Slack auth.test failed: ${typeof reason === 'string' ? reason : `HTTP ${r.status}`}` };
  },
};
