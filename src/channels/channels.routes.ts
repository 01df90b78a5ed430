import { defineRoute, type RouteDef } from '../http/registry.js';
import { PLATFORM_CHANNELS } from './channels.catalog.js';
import {
  ChannelList,
  ChannelNameParams,
  ConfigureBody,
  ConfigureResponse,
  ReconnectResponse,
  URL_FIELDS,
  WebMessageBody,
  WebMessageResponse,
} from './channels.schemas.js';
import type { ChannelsService } from './channels.service.js';
import type { WebMessagesService } from './web-messages.service.js';

const namedChannel = (v: unknown) => typeof v === 'string' && v.trim() !== '';

export function channelsRoutes(channels: ChannelsService, webMessages: WebMessagesService): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/channels',
      tag: 'Channels',
      summary: 'List channels with their connection status and capabilities',
      scope: 'instance',
      response: ChannelList,
      handler: () => channels.list(),
    }),
    defineRoute({
      method: 'post',
      path: '/channels/configure',
      tag: 'Channels',
      summary: "Store a channel's settings (enabling it) and check its connection",
      scope: 'instance',
      access: 'operator',
      body: ConfigureBody,
      response: ConfigureResponse,
      errors: ['INVALID_CHANNEL', 'INVALID_URL'],
      invalid: [
        {
          at: 'body.channel',
          code: 'INVALID_CHANNEL',
          message: `Invalid channel. Must be one of: ${PLATFORM_CHANNELS.join(', ')}`,
          when: namedChannel,
        },
        // A missing or empty URL stays VALIDATION_ERROR like any other missing field.
        ...URL_FIELDS.map((key) => ({ at: `body.config.${key}`, code: 'INVALID_URL' as const, when: namedChannel })),
      ],
      handler: ({ actor, body }) => channels.configure(actor, body as ConfigureBody),
    }),
    defineRoute({
      method: 'post',
      path: '/channels/:name/reconnect',
      tag: 'Channels',
      summary: 'Check a channel again against its platform',
      scope: 'instance',
      access: 'operator',
      params: ChannelNameParams,
      response: ReconnectResponse,
      errors: ['CHANNEL_NOT_FOUND', 'CHANNEL_DISABLED'],
      handler: ({ params }) => channels.reconnect(params.name),
    }),
    defineRoute({
      method: 'post',
      path: '/channels/web/messages',
      tag: 'Channels',
      summary: 'Receive an inbound web-channel message (stored, embedded, attributed to an identity)',
      body: WebMessageBody,
      status: 201,
      response: WebMessageResponse,
      errors: ['PROJECT_NOT_FOUND'],
      handler: ({ scope, actor, body }) => webMessages.receive(scope, actor, body),
    }),
  ];
}
