import type { UnitOfWork } from '../../db/engine.js';
import type { AuditService } from '../../audit/audit.service.js';
import { DEFAULT_ORG } from '../../http/org-scope.js';
import type { TaskDefinition } from '../scheduler.service.js';
import type { BuiltinTaskName } from '../scheduler.catalog.js';

export interface AuditCleanupDeps {
  uow: UnitOfWork;
  audit: Pick<AuditService, 'append' | 'purgeOlderThan'>;
  retentionDays: number;
  /** Inbound conversations older than the retention go too (memory reports that retention). */
  purgeConversations?: () => Promise<number>;
}

/**
 * `audit-cleanup`: retention. The purge and its `audit_cleanup` record commit
 * together; nothing removed, nothing recorded.
 */
export function auditCleanupTask({ uow, audit, retentionDays, purgeConversations }: AuditCleanupDeps): TaskDefinition {
  const cleanup = () =>
    uow.run(async () => {
    await purgeConversations?.();
    const result = await audit.purgeOlderThan(retentionDays);
    if (result.removed > 0) {
      await audit.append({
        orgId: DEFAULT_ORG,
        actorType: 'system',
        actorId: 'audit-cleanup',
        action: 'audit_cleanup',
        metadata: { removed: result.removed, orgs: result.orgs },
      });
    }
    return result;
  });
  return {
    name: 'audit-cleanup' satisfies BuiltinTaskName,
    schedule: '0 3 * * *',
    intervalMs: 86_400_000,
    builtin: true,
    handler: async () => {
      await cleanup();
    },
  };
}
