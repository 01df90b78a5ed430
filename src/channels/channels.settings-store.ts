import { SecretUnreadableError, type ResealReport, type SecretBox } from '../secrets/secret-box.js';
import type { ChannelSettings } from './adapters/index.js';
import type { ChannelsRepository } from './channels.repository.js';

const contextOf = (name: string) => `channel-settings:${name}`;

/**
 * Channel settings hold tokens and API keys, so the whole JSON text is sealed by the
 * SecretBox (a no-op without SECRETS_KEY); a value stored in plain text before the key was
 * set still reads, and is sealed at start-up (`reseal`) or on its next write.
 */
export function createChannelSettingsStore(repo: () => ChannelsRepository, box: SecretBox) {
  /** The stored text this process last read or wrote, per channel (sealing is randomised: a new save is new text). */
  const seen = new Map<string, string>();
  return {
    /** Rejects with SecretUnreadableError when the stored settings do not open with the configured key. */
    async get(name: string): Promise<ChannelSettings | undefined> {
      const stored = await repo().get(name);
      if (stored === undefined) return undefined;
      seen.set(name, stored);
      return JSON.parse(box.open(stored, contextOf(name))) as ChannelSettings;
    },
    async save(name: string, settings: ChannelSettings, at: string): Promise<void> {
      const sealed = box.seal(JSON.stringify(settings), contextOf(name));
      await repo().save(name, sealed, at);
      seen.set(name, sealed);
    },
    /** Channels whose stored settings are not the ones this process last read or wrote (saved elsewhere): one read. */
    async changed(): Promise<string[]> {
      return (await repo().all()).filter((r) => seen.get(r.name) !== r.settings).map((r) => r.name);
    },
    async reseal(): Promise<ResealReport> {
      const report: ResealReport = { sealed: 0, unreadable: [] };
      for (const r of await repo().all()) {
        try {
          const plain = box.open(r.settings, contextOf(r.name));
          if (box.enabled && !box.isSealed(r.settings)) {
            const sealed = box.seal(plain, contextOf(r.name));
            await repo().rewrite(r.name, sealed);
            if (seen.has(r.name)) seen.set(r.name, sealed);
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

export type ChannelSettingsStore = ReturnType<typeof createChannelSettingsStore>;
