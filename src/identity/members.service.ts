import type { Clock } from '../clock.js';
import type { UnitOfWork } from '../db/engine.js';
import type { AuditService } from '../audit/audit.service.js';
import { AppError, notFound } from '../http/errors.js';
import type { OrgScope } from '../http/org-scope.js';
import type { AddMemberBody, Member } from './identity.schemas.js';

export interface MembersServiceDeps {
  uow: UnitOfWork;
  audit: AuditService;
  clock: Clock;
  /** Port to the orgs domain: rejects with ORG_NOT_FOUND unless the org is visible in the scope. */
  assertOrgVisible: (scope: OrgScope, orgId: string) => Promise<void>;
}

export function createMembersService({ uow, audit, clock, assertOrgVisible }: MembersServiceDeps) {
  const repos = () => uow.current();
  const addTx = (actor: string, orgId: string, body: AddMemberBody, joinedAt: string) =>
    uow.run(async (tx) => {
      await tx.members.insert(orgId, body.identityId, body.role, joinedAt);
      await audit.append({ orgId, actorType: 'user', actorId: actor, action: 'member_add', metadata: { identityId: body.identityId, role: body.role } });
    });
  const removeTx = (actor: string, orgId: string, identityId: string) =>
    uow.run(async (tx) => {
      await tx.members.remove(orgId, identityId);
      await audit.append({ orgId, actorType: 'user', actorId: actor, action: 'member_remove', metadata: { identityId } });
    });

  return {
    list: (orgId: string): Promise<Member[]> => repos().members.list(orgId),
    count: (orgId: string): Promise<number> => repos().members.count(orgId),

    async add(scope: OrgScope, actor: string, orgId: string, body: AddMemberBody): Promise<Member> {
      await assertOrgVisible(scope, orgId);
      const identity = await repos().identities.get(body.identityId);
      if (!identity) throw notFound('Identity', 'IDENTITY_NOT_FOUND');
      if (await repos().members.get(orgId, body.identityId)) {
        throw new AppError('MEMBER_EXISTS', `Identity '${body.identityId}' is already a member of this organization`);
      }
      const joinedAt = clock.now().toISOString();
      await addTx(actor, orgId, body, joinedAt);
      return { identityId: identity.id, displayName: identity.displayName, role: body.role, joinedAt };
    },

    async remove(scope: OrgScope, actor: string, orgId: string, identityId: string): Promise<{ removed: true }> {
      await assertOrgVisible(scope, orgId);
      if (!(await repos().members.get(orgId, identityId))) throw notFound('Member', 'MEMBER_NOT_FOUND');
      await removeTx(actor, orgId, identityId);
      return { removed: true };
    },
  };
}

export type MembersService = ReturnType<typeof createMembersService>;
