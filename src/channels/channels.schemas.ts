import { z } from 'zod';
import { CHANNEL_NAMES, PLATFORM_CHANNELS, type PlatformChannel } from './channels.catalog.js';
import { ADAPTERS, type SettingField } from './adapters/index.js';
import { checkOutboundUrl, normalizedUrl } from '../outbound/outbound-url.js';

export const CHANNEL_STATUSES = ['connected', 'disconnected', 'disabled', 'connecting'] as const;
export type ChannelStatus = (typeof CHANNEL_STATUSES)[number];

export const Capabilities = z.object({
  threads: z.boolean(),
  codeBlocks: z.boolean(),
  syntaxHighlighting: z.boolean(),
  fileAttachments: z.boolean(),
  reactions: z.boolean(),
  maxMessageLength: z.number().int(),
  mentionFormat: z.enum(['text', 'user_id', 'username', 'none']),
});

export const ChannelView = z.object({
  name: z.enum(CHANNEL_NAMES),
  platform: z.string(),
  connected: z.boolean(),
  status: z.enum(CHANNEL_STATUSES),
  capabilities: Capabilities,
  lastError: z.string().nullable(),
});
export type ChannelView = z.infer<typeof ChannelView>;

export const ChannelList = z.object({ channels: z.array(ChannelView) });

export const ChannelNameParams = z.strictObject({ name: z.string() });

export const ReconnectResponse = z.object({ success: z.literal(true), channel: z.string(), connected: z.boolean() });

const nonEmpty = z.string().trim().min(1, { error: 'must not be empty' }).max(4096);

function fieldSchema(f: SettingField) {
  if (f.url) {
    // What can be decided without the network; the host's addresses are checked by the service.
    return nonEmpty.transform((u, ctx) => {
      const checked = checkOutboundUrl(u);
      if (checked.ok) return normalizedUrl(checked.url);
      ctx.addIssue({ code: 'custom', message: checked.reason });
      return z.NEVER;
    });
  }
  // A token with whitespace inside is a paste error, and would break the Telegram path.
  return f.secret ? nonEmpty.regex(/^\S+$/, { error: 'must not contain whitespace' }) : nonEmpty;
}

function configSchema(name: PlatformChannel) {
  const shape = Object.fromEntries(ADAPTERS[name].fields.map((f) => [f.key, fieldSchema(f)]));
  return z.strictObject({ channel: z.literal(name), config: z.strictObject(shape) });
}

/** `{channel, config}` with the config fields of that channel; web is not configurable. */
export const ConfigureBody = z.discriminatedUnion(
  'channel',
  PLATFORM_CHANNELS.map(configSchema) as unknown as [ReturnType<typeof configSchema>, ...ReturnType<typeof configSchema>[]],
);
export type ConfigureBody = { channel: PlatformChannel; config: Record<string, string> };

/** The `config` keys that hold URLs (answered with INVALID_URL rather than VALIDATION_ERROR). */
export const URL_FIELDS = [...new Set(PLATFORM_CHANNELS.flatMap((n) => ADAPTERS[n].fields.filter((f) => f.url).map((f) => f.key)))];

export const ConfigureResponse = z.object({
  success: z.literal(true),
  channel: z.enum(PLATFORM_CHANNELS),
  configured: z.literal(true),
  connected: z.boolean(),
});

export const WebMessageBody = z.strictObject({
  userId: z.string().trim().min(1).max(128),
  username: z.string().trim().min(1).max(100).optional(),
  text: z.string().min(1).max(10_000).refine((t) => t.trim() !== '', { error: 'text must not be blank' }),
  projectId: z.string().min(1).max(100).optional(),
});
export type WebMessageBody = z.infer<typeof WebMessageBody>;

export const WebMessageResponse = z.object({ messageId: z.string(), identityId: z.string(), receivedAt: z.string() });
