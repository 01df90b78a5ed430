import type { Config } from '../config.js';
import { isEnabledByEnv } from './channels.catalog.js';
import type { ChannelAdapter, ChannelSettings } from './adapters/index.js';

/** Where a platform channel stands before any check: off, half-configured, or checkable. */
export type ResolvedSettings =
  | { kind: 'disabled' }
  | { kind: 'missing'; variable: string }
  /** Stored settings exist but do not open with the configured SECRETS_KEY. */
  | { kind: 'unreadable' }
  | { kind: 'ready'; settings: ChannelSettings; source: 'stored' | 'env' };

/**
 * Stored settings (from configure) win over the environment as a whole; fields are never
 * mixed across the two sources, so a half-stored channel cannot exist.
 */
export function resolveSettings(adapter: ChannelAdapter, config: Config, stored: ChannelSettings | 'unreadable' | undefined): ResolvedSettings {
  if (stored === 'unreadable') return { kind: 'unreadable' };
  if (stored) return { kind: 'ready', settings: stored, source: 'stored' };
  if (!isEnabledByEnv(config, adapter.name)) return { kind: 'disabled' };
  const settings: ChannelSettings = {};
  for (const f of adapter.fields) {
    const value = config[f.env];
    if (typeof value !== 'string' || value === '') return { kind: 'missing', variable: String(f.env) };
    settings[f.key] = value;
  }
  return { kind: 'ready', settings, source: 'env' };
}

/** The secret values of a settings record, to scrub from any text that leaves the service. */
export const secretsOf = (adapter: ChannelAdapter, settings: ChannelSettings): string[] =>
  adapter.fields.filter((f) => f.secret).map((f) => settings[f.key]).filter((v): v is string => typeof v === 'string' && v !== '');

/** Replaces every occurrence of a secret, and bounds the length of platform-provided text. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out.length > 300 ? `${out.slice(0, 297)}...` : out;
}
