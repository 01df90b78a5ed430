import { defineRoute, type RouteDef } from '../http/registry.js';
import { PLATFORM_CHANNELS } from './channels.catalog.js';
import {
  ChannelList,
  ChannelNameParams,
  ConfigureBody,
  ConfigureResponse,
  ReconnectResponse,
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
      body: ConfigureBody,
      response: ConfigureResponse,
      errors: ['INVALID_CHANNEL'],
      invalid: [
        {
          at: 'body.channel',
          code: 'INVALID_CHANNEL',
          message: `Invalid channel. Must be one of: ${PLATFORM_CHANNELS.join(', ')}`,
          when: namedChannel,
        },
      ],
      handler: ({ actor, body }) => channels.configure(actor, body as ConfigureBody),
    }),
    defineRoute({
      method: 'post',
      path: '/channels/:name/reconnect',
      tag: 'Channels',
      summary: 'Check a channel again against its platform',
      scope: 'instance',
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
