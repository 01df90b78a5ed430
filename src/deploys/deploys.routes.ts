import { z } from 'zod';
import { defineRoute, type RouteDef } from '../http/registry.js';
import { Deploy, DeployQuery } from './deploys.schemas.js';
import type { DeploysService } from './deploys.service.js';

export function deploysRoutes(deploys: DeploysService): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/deploys',
      tag: 'Deploys',
      summary: 'Deploys reported by CI jobs, newest first (every org without x-org-id)',
      query: DeployQuery,
      response: z.array(Deploy),
      errors: ['INVALID_PARAMETER'],
      invalid: [{ at: 'query', code: 'INVALID_PARAMETER' }],
      handler: ({ scope, query }) => deploys.list(scope, query),
    }),
  ];
}
