import { defineRoute, type RouteDef } from '../http/registry.js';
import { CHANNEL_TYPES, Identity, IdentityLookup, IdentityQuery, RegisterIdentityBody } from './identity.schemas.js';
import type { IdentityService } from './identity.service.js';

const absent = (v: unknown) => v === undefined;

export function identityRoutes(identity: IdentityService): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/identity',
      tag: 'Identity',
      summary: 'Find the identity behind a channel user (in an org scope: its members and the identities created there)',
      query: IdentityQuery,
      response: IdentityLookup,
      errors: ['MISSING_PARAMETER', 'INVALID_CHANNEL', 'INVALID_PARAMETER'],
      invalid: [
        { at: 'query.channelType', code: 'MISSING_PARAMETER', message: 'Missing required parameter: channelType', when: absent },
        { at: 'query.channelUserId', code: 'MISSING_PARAMETER', message: 'Missing required parameter: channelUserId', when: absent },
        {
          at: 'query.channelType',
          code: 'INVALID_CHANNEL',
          message: `Invalid channelType. Must be one of: ${CHANNEL_TYPES.join(', ')}`,
          when: (v) => typeof v === 'string',
        },
        { at: 'query', code: 'INVALID_PARAMETER' },
      ],
      handler: ({ scope, query }) => identity.lookup(scope, query.channelType, query.channelUserId),
    }),
    defineRoute({
      method: 'post',
      path: '/identity',
      tag: 'Identity',
      summary: 'Register an identity (merging auto-created identities of the same channel users)',
      body: RegisterIdentityBody,
      status: 201,
      response: Identity,
      errors: ['INVALID_CHANNEL', 'IDENTITY_CONFLICT'],
      handler: ({ scope, actor, body }) => identity.register(scope, actor, body),
    }),
  ];
}
