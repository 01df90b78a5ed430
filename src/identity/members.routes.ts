import { defineRoute, type RouteDef } from '../http/registry.js';
import { AddMemberBody, Member, MemberParams, OrgIdParams, RemovedMember } from './identity.schemas.js';
import type { MembersService } from './members.service.js';

export function membersRoutes(members: MembersService): RouteDef[] {
  return [
    defineRoute({
      method: 'post',
      path: '/orgs/:id/members',
      tag: 'Organizations',
      summary: 'Add an identity to an organization with a role',
      params: OrgIdParams,
      body: AddMemberBody,
      status: 201,
      response: Member,
      errors: ['ORG_NOT_FOUND', 'IDENTITY_NOT_FOUND', 'MEMBER_EXISTS'],
      handler: ({ scope, actor, params, body }) => members.add(scope, actor, params.id, body),
    }),
    defineRoute({
      method: 'delete',
      path: '/orgs/:id/members/:identityId',
      tag: 'Organizations',
      summary: 'Remove a member from an organization',
      params: MemberParams,
      response: RemovedMember,
      errors: ['ORG_NOT_FOUND', 'MEMBER_NOT_FOUND'],
      handler: ({ scope, actor, params }) => members.remove(scope, actor, params.id, params.identityId),
    }),
  ];
}
