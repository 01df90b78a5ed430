import { z } from 'zod';
import { defineRoute, type RouteDef } from '../http/registry.js';
import { Approval, ApprovalIdParams, ApprovalQuery, CreateApprovalBody, VoteBody } from './approvals.schemas.js';
import type { ApprovalsService } from './approvals.service.js';

export function approvalsRoutes(approvals: ApprovalsService): RouteDef[] {
  return [
    defineRoute({
      method: 'post',
      path: '/approvals',
      tag: 'Approvals',
      summary: 'Ask for a sign-off: people vote until the quorum approves, one rejects, or it expires',
      body: CreateApprovalBody,
      status: 201,
      response: Approval,
      errors: ['PROJECT_NOT_FOUND', 'AGENT_NOT_FOUND'],
      handler: ({ scope, actor, body }) => approvals.create(scope, actor, body),
    }),
    defineRoute({
      method: 'get',
      path: '/approvals',
      tag: 'Approvals',
      summary: 'Approvals, newest first (every org without x-org-id)',
      query: ApprovalQuery,
      response: z.array(Approval),
      errors: ['INVALID_PARAMETER'],
      invalid: [{ at: 'query', code: 'INVALID_PARAMETER' }],
      handler: ({ scope, query }) => approvals.list(scope, query),
    }),
    defineRoute({
      method: 'get',
      path: '/approvals/:id',
      tag: 'Approvals',
      summary: 'One approval with its votes (poll it until it is decided)',
      params: ApprovalIdParams,
      response: Approval,
      errors: ['APPROVAL_NOT_FOUND'],
      handler: ({ scope, params }) => approvals.get(scope, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/approvals/:id/vote',
      tag: 'Approvals',
      summary: 'Vote on an approval as the x-actor-id (required); answers the approval after the vote',
      params: ApprovalIdParams,
      body: VoteBody,
      response: Approval,
      errors: ['MISSING_ACTOR', 'APPROVAL_NOT_FOUND', 'SELF_APPROVAL', 'ALREADY_VOTED', 'APPROVAL_CLOSED'],
      // The actor defaults to `api` when the header is absent; a vote needs a named voter.
      handler: ({ scope, actor, params, body, req }) => approvals.vote(scope, req.headers['x-actor-id'] === undefined ? undefined : actor, params.id, body),
    }),
  ];
}
