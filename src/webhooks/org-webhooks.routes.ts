import { defineRoute, type RouteDef } from '../http/registry.js';
import { SENSITIVE_ANSWER } from '../idempotency/idempotency.middleware.js';
import { OrgWebhookSettings, RotatedSecret } from './org-webhooks.schemas.js';
import type { OrgWebhooksService } from './org-webhooks.service.js';

export function orgWebhooksRoutes(service: OrgWebhooksService): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/webhooks',
      tag: 'Webhooks',
      summary: "The org's webhook URL, whether a secret is set, and recent deliveries (org scope required)",
      response: OrgWebhookSettings,
      errors: ['ORG_REQUIRED'],
      handler: ({ scope }) => service.describe(scope),
    }),
    defineRoute({
      method: 'post',
      path: '/webhooks/secret',
      tag: 'Webhooks',
      summary: 'Rotate the org webhook secret: a fresh one, shown only in this answer; the previous one verifies for 1 more hour',
      status: 201,
      response: RotatedSecret,
      errors: ['ORG_REQUIRED'],
      handler: ({ scope, actor, res }) => {
        // An Idempotency-Key replay shows the same secret again; its kept copy is sealed at rest.
        res.locals[SENSITIVE_ANSWER] = true;
        return service.rotate(scope, actor);
      },
    }),
  ];
}
