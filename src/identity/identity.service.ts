import type { Clock } from '../clock.js';
import type { UnitOfWork } from '../db/engine.js';
import type { AuditService } from '../audit/audit.service.js';
import { AppError, badRequest } from '../http/errors.js';
import { writeOrg, type OrgScope } from '../http/org-scope.js';
import { newId } from '../ids.js';
import { CHANNEL_TYPES, isChannelType, type ChannelType, type Identity, type RegisterIdentityBody } from './identity.schemas.js';
import type { IdentityRepository, IdentityRow, LinkRow, MembersRepository } from './identity.repository.js';

export interface IdentityServiceDeps {
  uow: UnitOfWork;
  audit: AuditService;
  clock: Clock;
}

export interface ChannelUser {
  type: ChannelType;
  userId: string;
  username?: string;
  at: string;
  /** The org the message arrived in: a new identity is created there. */
  orgId: string;
}

const key = (type: string, userId: string) => `${type}:${userId}`;
const latest = (values: Array<string | null>): string | null =>
  values.reduce<string | null>((a, b) => (b !== null && (a === null || b > a) ? b : a), null);

function checkChannels(channels: RegisterIdentityBody['channels']): void {
  const seen = new Set<string>();
  for (const c of channels) {
    if (!isChannelType(c.type)) {
      throw badRequest('INVALID_CHANNEL', `Invalid channel type '${c.type}'. Must be one of: ${CHANNEL_TYPES.join(', ')}`);
    }
    if (seen.has(key(c.type, c.userId))) throw badRequest('VALIDATION_ERROR', `Channel identity '${key(c.type, c.userId)}' is listed twice`);
    seen.add(key(c.type, c.userId));
  }
}

export function createIdentityService({ uow, audit, clock }: IdentityServiceDeps) {
  const store = (): IdentityRepository => uow.current().identities;
  const members = (): MembersRepository => uow.current().members;
  const view = async (i: IdentityRow): Promise<Identity> => ({
    id: i.id,
    displayName: i.displayName,
    role: i.role,
    channels: (await store().links(i.id)).map((l) => ({ type: l.type, userId: l.userId, username: l.username, linkedAt: l.linkedAt })),
    registeredAt: i.registeredAt,
    lastSeen: i.lastSeen,
  });

  /**
   * The auto-created identities the request's channels belong to. A registered owner is a
   * conflict; so is, for an org-scoped request, an owner that is a member of another org:
   * merging it would move that org's membership (no org-scoped request changes another
   * org's members).
   */
  async function mergeable(scope: OrgScope, links: Array<LinkRow | undefined>): Promise<string[]> {
    const ids = new Set<string>();
    for (const l of links) {
      if (!l) continue;
      if ((await store().get(l.identityId))?.registeredAt != null) {
        throw new AppError('IDENTITY_CONFLICT', `Channel identity '${key(l.type, l.userId)}' already belongs to a registered identity`);
      }
      if (scope.orgId !== null && (await members().orgsOf(l.identityId)).some((o) => o !== scope.orgId)) {
        throw new AppError('IDENTITY_CONFLICT', `Channel identity '${key(l.type, l.userId)}' already belongs to an identity outside this organization`);
      }
      ids.add(l.identityId);
    }
    return [...ids];
  }

  /** Unscoped (the operator's view) sees every identity; an org sees its members and its own. */
  const visibleIn = async (scope: OrgScope, i: IdentityRow): Promise<boolean> =>
    scope.orgId === null || i.originOrgId === scope.orgId || (await members().get(scope.orgId, i.id)) !== undefined;

  const registerTx = (scope: OrgScope, actor: string, body: RegisterIdentityBody): Promise<IdentityRow> =>
    uow.run(async () => {
    const links: Array<LinkRow | undefined> = [];
    for (const c of body.channels) links.push(await store().link(c.type, c.userId));
    const merged = await mergeable(scope, links);
    const now = clock.now().toISOString();
    const origin = writeOrg(scope);
    const identity: IdentityRow = {
      id: newId('ident', 10),
      displayName: body.displayName,
      role: body.role,
      registeredAt: now,
      lastSeen: latest(await Promise.all(merged.map(async (id) => (await store().get(id))?.lastSeen ?? null))),
      createdAt: now,
      originOrgId: origin,
    };
    await store().insert(identity);
    for (const id of merged) {
      await store().moveLinks(id, identity.id, now);
      await members().moveAll(id, identity.id);
      await store().delete(id);
    }
    for (const [i, c] of body.channels.entries()) {
      if (!links[i]) await store().insertLink({ type: c.type, userId: c.userId, identityId: identity.id, username: c.username ?? null, linkedAt: now });
      else if (c.username !== undefined) await store().setUsername(c.type, c.userId, c.username);
    }
    // The chain of the org the registration was made in (default when unscoped): another
    // org's chain would show that org an identity it may not see.
    await audit.append({ orgId: origin, actorType: 'user', actorId: actor, action: 'identity_register', metadata: { identityId: identity.id, role: identity.role, merged } });
    return identity;
  });

  return {
    /** An identity the scope may not see is answered exactly like one that does not exist. */
    async lookup(scope: OrgScope, type: ChannelType, userId: string): Promise<{ found: true; identity: Identity } | { found: false; identity: null }> {
      const link = await store().link(type, userId);
      const identity = link && (await store().get(link.identityId));
      return identity && (await visibleIn(scope, identity)) ? { found: true, identity: await view(identity) } : { found: false, identity: null };
    },

    async register(scope: OrgScope, actor: string, body: RegisterIdentityBody): Promise<Identity> {
      checkChannels(body.channels);
      return view(await registerTx(scope, actor, body));
    },

    /**
     * The identity behind a channel user, created on first sight (read-only, no display
     * name, not registered). Call inside the caller's transaction.
     */
    async resolveChannelUser({ type, userId, username, at, orgId }: ChannelUser): Promise<string> {
      const link = await store().link(type, userId);
      if (link) {
        await store().touch(link.identityId, at);
        if (username !== undefined && username !== link.username) await store().setUsername(type, userId, username);
        return link.identityId;
      }
      const id = newId('ident', 10);
      await store().insert({ id, displayName: null, role: 'read-only', registeredAt: null, lastSeen: at, createdAt: at, originOrgId: orgId });
      await store().insertLink({ type, userId, identityId: id, username: username ?? null, linkedAt: at });
      return id;
    },
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
