import type { Db } from '../db/open.js';
import type { ChannelsRepository, StoredChannelSettings } from './channels.repository.js';

export function createChannelsSqlite(db: Db): ChannelsRepository {
  const byName = db.prepare<[string], string>('SELECT settings FROM channel_settings WHERE name = ?').pluck();
  const all = db.prepare<[], StoredChannelSettings>('SELECT name, settings FROM channel_settings ORDER BY name');
  const upsert = db.prepare<[string, string, string]>(
    `INSERT INTO channel_settings (name, settings, configured_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET settings = excluded.settings, configured_at = excluded.configured_at`,
  );
  const rewrite = db.prepare<[string, string]>('UPDATE channel_settings SET settings = ? WHERE name = ?');
  return {
    get: async (name) => byName.get(name),
    all: async () => all.all(),
    save: async (name, settings, at) => void upsert.run(name, settings, at),
    rewrite: async (name, settings) => void rewrite.run(settings, name),
  };
}
