import type { Clock } from '../clock.js';
import type { Db } from '../db/open.js';
import type { AuditService } from '../audit/audit.service.js';
import { AppError, notFound } from '../http/errors.js';
import type { OrgScope } from '../http/org-scope.js';
import type { AddMemberBody, Member } from './identity.schemas.js';
import type { IdentityStore } from './identity.store.js';
import type { MembersStore } from './members.store.js';

export interface MembersServiceDeps {
  db: Db;
  store: MembersStore;
  identities: IdentityStore;
  audit: AuditService;
  clock: Clock;
  /** Port to the orgs domain: throws ORG_NOT_FOUND unless the org is visible in the scope. */
  assertOrgVisible: (scope: OrgScope, orgId: string) => void;
}

export function createMembersService({ db, store, identities, audit, clock, assertOrgVisible }: MembersServiceDeps) {
  const addTx = db.transaction((actor: string, orgId: string, body: AddMemberBody, joinedAt: string) => {
    store.insert(orgId, body.identityId, body.role, joinedAt);
    audit.append({ orgId, actorType: 'user', actorId: actor, action: 'member_add', metadata: { identityId: body.identityId, role: body.role } });
  });
  const removeTx = db.transaction((actor: string, orgId: string, identityId: string) => {
    store.remove(orgId, identityId);
    audit.append({ orgId, actorType: 'user', actorId: actor, action: 'member_remove', metadata: { identityId } });
  });

  return {
    list: (orgId: string): Member[] => store.list(orgId),
    count: (orgId: string): number => store.count(orgId),

    add(scope: OrgScope, actor: string, orgId: string, body: AddMemberBody): Member {
      assertOrgVisible(scope, orgId);
      const identity = identities.get(body.identityId);
      if (!identity) throw notFound('Identity', 'IDENTITY_NOT_FOUND');
      if (store.get(orgId, body.identityId)) {
        throw new AppError(409, 'MEMBER_EXISTS', `Identity '${body.identityId}' is already a member of this organization`);
      }
      const joinedAt = clock.now().toISOString();
      addTx(actor, orgId, body, joinedAt);
      return { identityId: identity.id, displayName: identity.displayName, role: body.role, joinedAt };
    },

    remove(scope: OrgScope, actor: string, orgId: string, identityId: string): { removed: true } {
      assertOrgVisible(scope, orgId);
      if (!store.get(orgId, identityId)) throw notFound('Member', 'MEMBER_NOT_FOUND');
      removeTx(actor, orgId, identityId);
      return { removed: true };
    },
  };
}

export type MembersService = ReturnType<typeof createMembersService>;
