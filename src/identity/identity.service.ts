import type { Clock } from '../clock.js';
import type { Db } from '../db/open.js';
import type { AuditService } from '../audit/audit.service.js';
import { AppError, badRequest } from '../http/errors.js';
import { writeOrg, type OrgScope } from '../http/org-scope.js';
import { newId } from '../ids.js';
import { CHANNEL_TYPES, isChannelType, type ChannelType, type Identity, type RegisterIdentityBody } from './identity.schemas.js';
import type { IdentityRow, IdentityStore, LinkRow } from './identity.store.js';
import type { MembersStore } from './members.store.js';

export interface IdentityServiceDeps {
  db: Db;
  store: IdentityStore;
  members: MembersStore;
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

export function createIdentityService({ db, store, members, audit, clock }: IdentityServiceDeps) {
  const view = (i: IdentityRow): Identity => ({
    id: i.id,
    displayName: i.displayName,
    role: i.role,
    channels: store.links(i.id).map((l) => ({ type: l.type, userId: l.userId, username: l.username, linkedAt: l.linkedAt })),
    registeredAt: i.registeredAt,
    lastSeen: i.lastSeen,
  });

  /**
   * The auto-created identities the request's channels belong to. A registered owner is a
   * conflict; so is, for an org-scoped request, an owner that is a member of another org:
   * merging it would move that org's membership (no org-scoped request changes another
   * org's members).
   */
  function mergeable(scope: OrgScope, links: Array<LinkRow | undefined>): string[] {
    const ids = new Set<string>();
    for (const l of links) {
      if (!l) continue;
      if (store.get(l.identityId)?.registeredAt != null) {
        throw new AppError(409, 'IDENTITY_CONFLICT', `Channel identity '${key(l.type, l.userId)}' already belongs to a registered identity`);
      }
      if (scope.orgId !== null && members.orgsOf(l.identityId).some((o) => o !== scope.orgId)) {
        throw new AppError(409, 'IDENTITY_CONFLICT', `Channel identity '${key(l.type, l.userId)}' already belongs to an identity outside this organization`);
      }
      ids.add(l.identityId);
    }
    return [...ids];
  }

  /** Unscoped (the operator's view) sees every identity; an org sees its members and its own. */
  const visibleIn = (scope: OrgScope, i: IdentityRow): boolean =>
    scope.orgId === null || i.originOrgId === scope.orgId || members.get(scope.orgId, i.id) !== undefined;

  const registerTx = db.transaction((scope: OrgScope, actor: string, body: RegisterIdentityBody): IdentityRow => {
    const links = body.channels.map((c) => store.link(c.type, c.userId));
    const merged = mergeable(scope, links);
    const now = clock.now().toISOString();
    const origin = writeOrg(scope);
    const identity: IdentityRow = {
      id: newId('ident', 10),
      displayName: body.displayName,
      role: body.role,
      registeredAt: now,
      lastSeen: latest(merged.map((id) => store.get(id)?.lastSeen ?? null)),
      createdAt: now,
      originOrgId: origin,
    };
    store.insert(identity);
    for (const id of merged) {
      store.moveLinks(id, identity.id, now);
      members.moveAll(id, identity.id);
      store.delete(id);
    }
    body.channels.forEach((c, i) => {
      if (!links[i]) store.insertLink({ type: c.type, userId: c.userId, identityId: identity.id, username: c.username ?? null, linkedAt: now });
      else if (c.username !== undefined) store.setUsername(c.type, c.userId, c.username);
    });
    // The chain of the org the registration was made in (default when unscoped): another
    // org's chain would show that org an identity it may not see.
    audit.append({ orgId: origin, actorType: 'user', actorId: actor, action: 'identity_register', metadata: { identityId: identity.id, role: identity.role, merged } });
    return identity;
  });

  return {
    /** An identity the scope may not see is answered exactly like one that does not exist. */
    lookup(scope: OrgScope, type: ChannelType, userId: string): { found: true; identity: Identity } | { found: false; identity: null } {
      const link = store.link(type, userId);
      const identity = link && store.get(link.identityId);
      return identity && visibleIn(scope, identity) ? { found: true, identity: view(identity) } : { found: false, identity: null };
    },

    register(scope: OrgScope, actor: string, body: RegisterIdentityBody): Identity {
      checkChannels(body.channels);
      return view(registerTx(scope, actor, body));
    },

    /**
     * The identity behind a channel user, created on first sight (read-only, no display
     * name, not registered). Call inside the caller's transaction.
     */
    resolveChannelUser({ type, userId, username, at, orgId }: ChannelUser): string {
      const link = store.link(type, userId);
      if (link) {
        store.touch(link.identityId, at);
        if (username !== undefined && username !== link.username) store.setUsername(type, userId, username);
        return link.identityId;
      }
      const id = newId('ident', 10);
      store.insert({ id, displayName: null, role: 'read-only', registeredAt: null, lastSeen: at, createdAt: at, originOrgId: orgId });
      store.insertLink({ type, userId, identityId: id, username: username ?? null, linkedAt: at });
      return id;
    },
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
