import type { Db } from '../db/open.js';
import type { ChannelSettings } from './adapters/index.js';

interface Row {
  name: string;
  settings: string;
}

/** Instance-level: channel settings belong to no org. */
export function createChannelsStore(db: Db) {
  const byName = db.prepare<[string], Row>('SELECT name, settings FROM channel_settings WHERE name = ?');
  const upsert = db.prepare<[string, string, string]>(
    `INSERT INTO channel_settings (name, settings, configured_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET settings = excluded.settings, configured_at = excluded.configured_at`,
  );
  return {
    get(name: string): ChannelSettings | undefined {
      const r = byName.get(name);
      return r ? (JSON.parse(r.settings) as ChannelSettings) : undefined;
    },
    save(name: string, settings: ChannelSettings, at: string): void {
      upsert.run(name, JSON.stringify(settings), at);
    },
  };
}

export type ChannelsStore = ReturnType<typeof createChannelsStore>;
