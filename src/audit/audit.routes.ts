import { defineRoute, type RouteDef } from '../http/registry.js';
import { AuditPage, AuditQuery, AuditVerification } from './audit.schemas.js';
import type { AuditService } from './audit.service.js';

export function auditRoutes(audit: AuditService): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/audit',
      tag: 'Audit',
      summary: 'Query the audit trail (newest first)',
      cacheable: true,
      query: AuditQuery,
      response: AuditPage,
      errors: ['INVALID_PARAMETER'],
      invalid: [{ at: 'query', code: 'INVALID_PARAMETER' }],
      handler: ({ scope, query }) => audit.query(scope, query),
    }),
    defineRoute({
      method: 'get',
      path: '/audit/verify',
      tag: 'Audit',
      summary: "Verify the org's audit chain: every entry's digest, and seals with AUDIT_HMAC_KEY (all orgs without x-org-id)",
      response: AuditVerification,
      handler: ({ scope }) => audit.verify(scope),
    }),
  ];
}
