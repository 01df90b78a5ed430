import type { Config } from '../config.js';

/** Documented listing order; `web` last. */
export const CHANNEL_NAMES = ['whatsapp', 'slack', 'discord', 'telegram', 'web'] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];

/** Channels that talk to an external platform (everything but web). */
export const PLATFORM_CHANNELS = ['whatsapp', 'slack', 'discord', 'telegram'] as const;
export type PlatformChannel = (typeof PLATFORM_CHANNELS)[number];

export const isChannelName = (v: string): v is ChannelName => (CHANNEL_NAMES as readonly string[]).includes(v);
export const isPlatformChannel = (v: string): v is PlatformChannel => (PLATFORM_CHANNELS as readonly string[]).includes(v);

export interface Capabilities {
  threads: boolean;
  codeBlocks: boolean;
  syntaxHighlighting: boolean;
  fileAttachments: boolean;
  reactions: boolean;
  maxMessageLength: number;
  mentionFormat: 'text' | 'user_id' | 'username' | 'none';
}

const caps = (
  threads: boolean,
  codeBlocks: boolean,
  syntaxHighlighting: boolean,
  fileAttachments: boolean,
  reactions: boolean,
  maxMessageLength: number,
  mentionFormat: Capabilities['mentionFormat'],
): Capabilities => ({ threads, codeBlocks, syntaxHighlighting, fileAttachments, reactions, maxMessageLength, mentionFormat });

/** The reference's capabilities table, verbatim. */
export const CAPABILITIES: Readonly<Record<ChannelName, Capabilities>> = {
  whatsapp: caps(false, false, false, true, false, 4096, 'text'),
  slack: caps(true, true, true, true, true, 40000, 'user_id'),
  discord: caps(true, true, true, true, true, 2000, 'user_id'),
  telegram: caps(false, false, false, true, false, 4096, 'username'),
  web: caps(false, true, true, false, false, 100000, 'none'),
};

const ENABLE_FLAGS = {
  whatsapp: 'ENABLE_WHATSAPP',
  slack: 'ENABLE_SLACK',
  discord: 'ENABLE_DISCORD',
  telegram: 'ENABLE_TELEGRAM',
} as const satisfies Record<PlatformChannel, keyof Config>;

/** The ENABLE_* flag of a platform channel. */
export const enableVar = (name: PlatformChannel): string => ENABLE_FLAGS[name];

export const isEnabledByEnv = (config: Config, name: PlatformChannel): boolean => config[ENABLE_FLAGS[name]];
