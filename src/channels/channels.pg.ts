import { exec, rows, scalar, stmt, type Queryable } from '../db/postgres/sql.js';
import type { ChannelsRepository, StoredChannelSettings } from './channels.repository.js';

const S = {
  byName: stmt('channels:byName', 'SELECT settings FROM channel_settings WHERE name = $1'),
  all: stmt('channels:all', 'SELECT name, settings FROM channel_settings ORDER BY name'),
  save: stmt(
    'channels:save',
    `INSERT INTO channel_settings (name, settings, configured_at) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO UPDATE SET settings = excluded.settings, configured_at = excluded.configured_at`,
  ),
  rewrite: stmt('channels:rewrite', 'UPDATE channel_settings SET settings = $1 WHERE name = $2'),
};

export function createChannelsPg(q: Queryable): ChannelsRepository {
  return {
    get: (name) => scalar<string>(q, S.byName, [name]),
    all: () => rows<StoredChannelSettings>(q, S.all),
    save: async (name, settings, at) => void (await exec(q, S.save, [name, settings, at])),
    rewrite: async (name, settings) => void (await exec(q, S.rewrite, [settings, name])),
  };
}
