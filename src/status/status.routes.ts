import { defineRoute, type RouteDef } from '../http/registry.js';
import { StatusResponse } from './status.schemas.js';
import type { StatusService } from './status.service.js';

export function statusRoutes(status: StatusService): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/status',
      tag: 'Platform',
      summary: "The instance at a glance: version, storage engine, uptime and counts (agents by status, projects, orgs, audit entries, webhook deliveries in the last 24 h, pending approvals) in the caller's scope",
      response: StatusResponse,
      handler: ({ scope }) => status.status(scope),
    }),
  ];
}
