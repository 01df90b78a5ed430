import type { ChannelAdapter } from './adapter.js';
import { field, probe } from './http-probe.js';

/** WhatsApp through an Evolution API server: the instance must be in state `open`. */
export const whatsappAdapter: ChannelAdapter = {
  name: 'whatsapp',
  fields: [
    { key: 'evolutionApiUrl', env: 'EVOLUTION_API_URL', secret: false, url: true },
    { key: 'evolutionApiKey', env: 'EVOLUTION_API_KEY', secret: true },
    { key: 'evolutionInstance', env: 'EVOLUTION_INSTANCE', secret: false },
  ],
  async check(settings, { timeoutMs, settingsFetch }) {
    const instance = settings.evolutionInstance!;
    const base = settings.evolutionApiUrl!.replace(/\/+$/, '');
    const r = await probe(
      'Evolution API',
      `${base}/instance/connectionState/${encodeURIComponent(instance)}`,
      { method: 'GET', headers: { apikey: settings.evolutionApiKey! } },
      timeoutMs,
      settingsFetch,
    );
    if (!r.ok) return { connected: false, error: r.error };
    if (r.status < 200 || r.status > 299) return { connected: false, error: `Evolution API connectionState failed: HTTP ${r.status}` };
    const state = field(field(r.json, 'instance'), 'state');
    if (state === 'open') return { connected: true, error: null };
    return { connected: false, error: `WhatsApp instance '${instance}' is not open (state: ${typeof state === 'string' ? state : 'unknown'})` };
  },
};
