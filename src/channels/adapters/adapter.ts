import type { Config } from '../../config.js';
import type { PlatformChannel } from '../channels.catalog.js';
import type { TextFetch } from '../../outbound/outbound-guard.js';

/** Settings of one channel: every field is a non-empty string (tokens, URL, instance). */
export type ChannelSettings = Record<string, string>;

/** One configurable field: its key in `configure`'s `config` and the variable it comes from. */
export interface SettingField {
  key: string;
  env: keyof Config;
  /** Secrets are scrubbed from every error text and never returned. */
  secret: boolean;
  /**
   * An http(s) base URL (trailing slashes are dropped). Given through the API it must pass
   * the outbound guard (INVALID_URL otherwise), and it is reached only through the guard.
   */
  url?: boolean;
}

export interface CheckResult {
  connected: boolean;
  error: string | null;
}

export interface CheckContext {
  config: Config;
  timeoutMs: number;
  /**
   * How to reach a URL taken from the settings (a `url` field): through the outbound guard
   * when the settings came through the API, directly when they came from the environment.
   */
  settingsFetch: TextFetch;
}

/** A platform behind the common interface: its settings and one real connection check. */
export interface ChannelAdapter {
  name: PlatformChannel;
  fields: readonly SettingField[];
  check(settings: ChannelSettings, ctx: CheckContext): Promise<CheckResult>;
}
