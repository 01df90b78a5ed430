/** A channel's settings as stored: the JSON text, sealed by the SecretBox when SECRETS_KEY is set. */
export interface StoredChannelSettings {
  name: string;
  settings: string;
}

/**
 * Instance-level channel settings (no org). The repository moves stored text only: sealing
 * and opening happen above it (channels.settings-store.ts), the same on every engine.
 */
export interface ChannelsRepository {
  get(name: string): Promise<string | undefined>;
  /** Sorted by name. */
  all(): Promise<StoredChannelSettings[]>;
  /** Inserts or replaces the settings and their configured-at time. */
  save(name: string, settings: string, at: string): Promise<void>;
  /** Replaces the stored text only (re-sealing at start-up). */
  rewrite(name: string, settings: string): Promise<void>;
}
