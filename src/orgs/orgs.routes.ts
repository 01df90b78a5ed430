import { defineRoute, type RouteDef } from '../http/registry.js';
import { z } from 'zod';
import { CreateOrgBody, Org, OrgDetails, OrgIdParams } from './orgs.schemas.js';
import type { OrgsService } from './orgs.service.js';

const missingOrEmpty = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

export function orgsRoutes(orgs: OrgsService): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/orgs',
      tag: 'Organizations',
      summary: 'List organizations (only the scoped one with x-org-id)',
      cacheable: true,
      response: z.array(Org),
      handler: ({ scope }) => orgs.list(scope),
    }),
    defineRoute({
      method: 'post',
      path: '/orgs',
      tag: 'Organizations',
      summary: 'Create an organization',
      access: 'operator',
      body: CreateOrgBody,
      status: 201,
      response: Org,
      errors: ['MISSING_FIELD', 'INVALID_SLUG', 'ORG_ALREADY_EXISTS'],
      invalid: [
        { at: 'body.name', code: 'MISSING_FIELD', message: 'Organization name is required', when: missingOrEmpty },
        { at: 'body.slug', code: 'INVALID_SLUG', message: 'Slug must be lowercase letters and digits in groups joined by single hyphens, at most 50 characters' },
      ],
      handler: ({ actor, body }) => orgs.create(actor, body),
    }),
    defineRoute({
      method: 'get',
      path: '/orgs/:id',
      tag: 'Organizations',
      summary: 'Get an organization with its projects and members',
      cacheable: true,
      params: OrgIdParams,
      response: OrgDetails,
      errors: ['ORG_NOT_FOUND'],
      handler: ({ scope, params }) => orgs.get(scope, params.id),
    }),
  ];
}
