import type { UnitOfWork } from '../db/engine.js';
import { notFound } from '../http/errors.js';
import { visibleIn, type OrgScope } from '../http/org-scope.js';
import type { OrgsRepository } from './orgs.repository.js';

/**
 * Whether an org exists and is visible: what members (built before orgs, whose counts they
 * feed) and every scoped request need of the orgs domain.
 */
export function createOrgDirectory(uow: UnitOfWork) {
  const store = (): OrgsRepository => uow.current().orgs;
  // Orgs are never deleted, so one that exists always will: every request checks x-org-id,
  // and after the first time that check is a set lookup (no await).
  const known = new Set<string>();
  const exists = (id: string): boolean | Promise<boolean> => {
    if (known.has(id)) return true;
    return store()
      .exists(id)
      .then((found) => {
        if (found) known.add(id);
        return found;
      });
  };
  return {
    /** Synchronous once the org is known to exist (the hot path of every scoped request). */
    exists,
    /** Throws ORG_NOT_FOUND unless the org exists and is visible in the scope. */
    async assertVisible(scope: OrgScope, id: string): Promise<void> {
      if (!visibleIn(scope, id) || !(await exists(id))) throw notFound('Organization', 'ORG_NOT_FOUND');
    },
  };
}

export type OrgDirectory = ReturnType<typeof createOrgDirectory>;
