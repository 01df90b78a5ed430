import type { Config } from '../../config.js';
import type { PlatformChannel } from '../channels.catalog.js';

/** Settings of one channel: every field is a non-empty string (tokens, URL, instance). */
export type ChannelSettings = Record<string, string>;

/** One configurable field: its key in `configure`'s `config` and the variable it comes from. */
export interface SettingField {
  key: string;
  env: keyof Config;
  /** Secrets are scrubbed from every error text and never returned. */
  secret: boolean;
  /** An http(s) base URL (trailing slashes are dropped). */
  url?: boolean;
}

export interface CheckResult {
  connected: boolean;
  error: string | null;
}

export interface CheckContext {
  config: Config;
  timeoutMs: number;
}

/** A platform behind the common interface: its settings and one real connection check. */
export interface ChannelAdapter {
  name: PlatformChannel;
  fields: readonly SettingField[];
  check(settings: ChannelSettings, ctx: CheckContext): Promise<CheckResult>;
}
