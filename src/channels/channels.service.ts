import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { UnitOfWork } from '../db/engine.js';
import type { Logger } from '../logger.js';
import type { AuditService } from '../audit/audit.service.js';
import { AppError } from '../http/errors.js';
import { SecretUnreadableError } from '../secrets/secret-box.js';
import { DEFAULT_ORG } from '../http/org-scope.js';
import { ADAPTERS, type ChannelAdapter } from './adapters/index.js';
import {
  CAPABILITIES,
  CHANNEL_NAMES,
  PLATFORM_CHANNELS,
  enableVar,
  isPlatformChannel,
  type ChannelName,
  type PlatformChannel,
} from './channels.catalog.js';
import type { ChannelStatus, ChannelView, ConfigureBody } from './channels.schemas.js';
import { resolveSettings, scrub, secretsOf, type ResolvedSettings } from './channels.settings.js';
import type { ChannelSettings } from './adapters/index.js';
import type { ChannelSettingsStore } from './channels.settings-store.js';
import { createOutboundGuard, directFetch, type OutboundGuard } from '../outbound/outbound-guard.js';

export interface ChannelsServiceDeps {
  uow: UnitOfWork;
  store: ChannelSettingsStore;
  audit: AuditService;
  clock: Clock;
  config: Config;
  logger: Logger;
  adapters?: Readonly<Record<PlatformChannel, ChannelAdapter>>;
  /** Checks and carries requests to URLs given through the API. */
  outbound?: OutboundGuard;
  /** Live events: channel.status whenever a channel's status changes. */
  emit?: EmitPort;
}

interface State {
  status: ChannelStatus;
  lastError: string | null;
  /** Bumped by every check, so a slow earlier check never overwrites a newer result. */
  generation: number;
}

import { noEmit, type EmitPort } from '../events/events.types.js';

const missingError = (variable: string) => `${variable} is not set`;
const UNREADABLE_ERROR = 'Stored settings cannot be decrypted with SECRETS_KEY';

function initialState(r: ResolvedSettings): State {
  if (r.kind === 'disabled') return { status: 'disabled', lastError: null, generation: 0 };
  if (r.kind === 'missing') return { status: 'disconnected', lastError: missingError(r.variable), generation: 0 };
  if (r.kind === 'unreadable') return { status: 'disconnected', lastError: UNREADABLE_ERROR, generation: 0 };
  return { status: 'disconnected', lastError: null, generation: 0 };
}

const notFoundError = (name: string) =>
  new AppError('CHANNEL_NOT_FOUND', `Channel '${name}' not found. Valid channels: ${PLATFORM_CHANNELS.join(', ')}`);

/**
 * Channel state. Stored settings are read when the service is built (createChannelsService
 * resolves once they are), before every connection check, and whenever the channels are
 * listed or checked (`refresh`): settings another replica stored are picked up there, and
 * this replica then checks its own connection with them. Connection state is per process.
 */
export async function createChannelsService({ uow, store, audit, clock, config, logger, adapters = ADAPTERS, outbound = createOutboundGuard(), emit = noEmit }: ChannelsServiceDeps) {
  const storedSettings = new Map<PlatformChannel, ChannelSettings | 'unreadable' | undefined>();
  /** Reads stored settings; a value sealed with another key is reported, never thrown at callers. */
  const load = async (name: PlatformChannel): Promise<void> => {
    try {
      storedSettings.set(name, await store.get(name));
    } catch (err) {
      if (!(err instanceof SecretUnreadableError)) throw err;
      logger.error({ channel: name }, 'stored channel settings cannot be decrypted with SECRETS_KEY');
      storedSettings.set(name, 'unreadable');
    }
  };
  for (const name of PLATFORM_CHANNELS) await load(name);
  const resolve = (name: PlatformChannel) => resolveSettings(adapters[name], config, storedSettings.get(name));
  const states = new Map<PlatformChannel, State>(PLATFORM_CHANNELS.map((n) => [n, initialState(resolve(n))]));
  const stateOf = (name: PlatformChannel): State => states.get(name)!;

  const view = (name: ChannelName): ChannelView => {
    if (name === 'web') return { name, platform: name, connected: true, status: 'connected', capabilities: CAPABILITIES.web, lastError: null };
    const s = stateOf(name);
    return { name, platform: name, connected: s.status === 'connected', status: s.status, capabilities: CAPABILITIES[name], lastError: s.lastError };
  };

  /** One real check against the platform with the settings last loaded; the state reads `connecting` until it ends. */
  async function runCheck(name: PlatformChannel): Promise<boolean> {
    const adapter = adapters[name];
    const state = stateOf(name);
    const generation = ++state.generation;
    const was = state.status;
    const announce = () => {
      if (state.status !== was) emit('channel.status', null, { name, status: state.status });
    };
    const resolved = resolve(name);
    if (resolved.kind !== 'ready') {
      Object.assign(state, initialState(resolved));
      announce();
      if (resolved.kind === 'missing') logger.warn({ channel: name, missing: resolved.variable }, 'channel enabled without its settings');
      return false;
    }
    state.status = 'connecting';
    announce();
    const result = await adapter
      .check(resolved.settings, {
        config,
        timeoutMs: config.CHANNEL_CONNECT_TIMEOUT_MS,
        // Stored settings came through the API; the environment's are trusted as given.
        settingsFetch: resolved.source === 'stored' ? outbound.fetch : directFetch,
      })
      .catch(() => ({ connected: false, error: 'Connection check failed' }));
    const error = result.connected ? null : scrub(result.error ?? 'Connection check failed', secretsOf(adapter, resolved.settings));
    if (state.generation === generation) {
      state.status = result.connected ? 'connected' : 'disconnected';
      state.lastError = error;
      emit('channel.status', null, { name, status: state.status });
    }
    logger.info({ channel: name, source: resolved.source, connected: result.connected, error }, 'channel connection check');
    return result.connected;
  }

  const isEnabled = (name: PlatformChannel) => resolve(name).kind !== 'disabled';

  /**
   * Loads the settings another replica stored since this one last read them; such a channel
   * gets this replica's own check (in the background: its state reads `connecting` meanwhile).
   */
  async function refresh(): Promise<void> {
    for (const name of await store.changed()) {
      if (!isPlatformChannel(name)) continue;
      await load(name);
      if (isEnabled(name)) {
        stateOf(name).status = 'connecting';
        void runCheck(name).catch((err: unknown) => logger.error({ err, channel: name }, 'channel connection check failed'));
      } else Object.assign(stateOf(name), initialState(resolve(name)));
    }
  }

  const saveWithAudit = (channel: PlatformChannel, settings: Record<string, string>, actor: string) =>
    uow.run(async () => {
      await store.save(channel, settings, clock.now().toISOString());
      // Instance-level change: the default org's chain; the channel name only, never settings.
      await audit.append({ orgId: DEFAULT_ORG, actorType: 'user', actorId: actor, action: 'channel_configure', metadata: { channel } });
    });

  return {
    async list(): Promise<{ channels: ChannelView[] }> {
      await refresh();
      return { channels: CHANNEL_NAMES.map(view) };
    },

    /**
     * Kicks off the first check of every enabled channel. server.ts does not await it (the
     * listen is never delayed); tests may, to observe the outcome.
     */
    start(): Promise<void> {
      const checks = PLATFORM_CHANNELS.filter(isEnabled).map((n) => runCheck(n));
      return Promise.all(checks).then(() => undefined);
    },

    async reconnect(name: string): Promise<{ success: true; channel: string; connected: boolean }> {
      if (name === 'web') return { success: true, channel: name, connected: true };
      if (!isPlatformChannel(name)) throw notFoundError(name);
      await load(name);
      if (!isEnabled(name)) {
        throw new AppError('CHANNEL_DISABLED', `Channel '${name}' is not enabled. Set ${enableVar(name)}=true to enable.`);
      }
      return { success: true, channel: name, connected: await runCheck(name) };
    },

    /**
     * Stores the settings (enabling the channel), then answers after one bounded check. A URL
     * setting whose host resolves to a refused address is refused before anything is stored.
     */
    async configure(actor: string, body: ConfigureBody) {
      for (const f of adapters[body.channel].fields.filter((x) => x.url)) {
        await outbound.assertAllowed(body.config[f.key]!, `body.config.${f.key}`);
      }
      await saveWithAudit(body.channel, body.config, actor);
      storedSettings.set(body.channel, body.config);
      logger.info({ channel: body.channel }, 'channel configured');
      const connected = await runCheck(body.channel);
      return { success: true as const, channel: body.channel, configured: true as const, connected };
    },

    /** For the scheduler's health-check: re-checks enabled channels that are down. */
    async reconnectDisconnected(): Promise<Array<{ channel: PlatformChannel; connected: boolean }>> {
      await refresh();
      const down = PLATFORM_CHANNELS.filter((n) => isEnabled(n) && stateOf(n).status === 'disconnected');
      return Promise.all(down.map(async (channel) => ({ channel, connected: await runCheck(channel) })));
    },

    /** For /health: degraded when an enabled channel is disconnected. */
    healthSummary() {
      const views = CHANNEL_NAMES.map(view);
      const degraded = views.some((v) => v.status === 'disconnected');
      return {
        status: degraded ? ('degraded' as const) : ('ok' as const),
        channels: Object.fromEntries(views.map((v) => [v.name, v.status])) as Record<ChannelName, ChannelStatus>,
      };
    },

    /** Names of the connected channels (`web` included), for project agents' `channels`. */
    connectedNames: (): ChannelName[] => CHANNEL_NAMES.filter((n) => view(n).connected),
  };
}

export type ChannelsService = Awaited<ReturnType<typeof createChannelsService>>;
