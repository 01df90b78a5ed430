import type { PlatformChannel } from '../channels.catalog.js';
import type { ChannelAdapter } from './adapter.js';
import { discordAdapter } from './discord.js';
import { slackAdapter } from './slack.js';
import { telegramAdapter } from './telegram.js';
import { whatsappAdapter } from './whatsapp.js';

export type { ChannelAdapter, ChannelSettings, CheckResult, SettingField } from './adapter.js';

export const ADAPTERS: Readonly<Record<PlatformChannel, ChannelAdapter>> = {
  whatsapp: whatsappAdapter,
  slack: slackAdapter,
  discord: discordAdapter,
  telegram: telegramAdapter,
};
