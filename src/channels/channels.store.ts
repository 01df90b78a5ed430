import type { Db } from '../db/open.js';
import { SecretUnreadableError, type ResealReport, type SecretBox } from '../secrets/secret-box.js';
import type { ChannelSettings } from './adapters/index.js';

interface Row {
  name: string;
  settings: string;
}

const contextOf = (name: string) => `channel-settings:${name}`;

/**
 * Instance-level: channel settings belong to no org. They hold tokens and API keys, so the
 * whole JSON text is sealed by the SecretBox (a no-op without SECRETS_KEY); a value stored
 * in plain text before the key was set still reads, and is sealed at start-up (`reseal`) or
 * on its next write.
 */
export function createChannelsStore(db: Db, box: SecretBox) {
  const byName = db.prepare<[string], Row>('SELECT name, settings FROM channel_settings WHERE name = ?');
  const all = db.prepare<[], Row>('SELECT name, settings FROM channel_settings ORDER BY name');
  const upsert = db.prepare<[string, string, string]>(
    `INSERT INTO channel_settings (name, settings, configured_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET settings = excluded.settings, configured_at = excluded.configured_at`,
  );
  const rewrite = db.prepare<[string, string]>('UPDATE channel_settings SET settings = ? WHERE name = ?');
  return {
    /** Throws SecretUnreadableError when the stored settings do not open with the configured key. */
    get(name: string): ChannelSettings | undefined {
      const r = byName.get(name);
      return r ? (JSON.parse(box.open(r.settings, contextOf(name))) as ChannelSettings) : undefined;
    },
    save(name: string, settings: ChannelSettings, at: string): void {
      upsert.run(name, box.seal(JSON.stringify(settings), contextOf(name)), at);
    },
    reseal(): ResealReport {
      const report: ResealReport = { sealed: 0, unreadable: [] };
      for (const r of all.all()) {
        try {
          const plain = box.open(r.settings, contextOf(r.name));
          if (box.enabled && !box.isSealed(r.settings)) {
            rewrite.run(box.seal(plain, contextOf(r.name)), r.name);
            report.sealed++;
          }
        } catch (err) {
          if (!(err instanceof SecretUnreadableError)) throw err;
          report.unreadable.push(`channel settings of ${r.name}`);
        }
      }
      return report;
    },
  };
}

export type ChannelsStore = ReturnType<typeof createChannelsStore>;
