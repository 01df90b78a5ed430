import { rowShape } from '../db/row-shape.js';
import type { Member, Role } from './identity.schemas.js';

export interface IdentityRow {
  id: string;
  displayName: string | null;
  role: Role;
  registeredAt: string | null;
  lastSeen: string | null;
  createdAt: string;
  /** The org whose message or registration created it (null: unknown, before this was kept). */
  originOrgId: string | null;
}

export interface LinkRow {
  type: string;
  userId: string;
  identityId: string;
  username: string | null;
  linkedAt: string;
}

/** How an `identities` row reads as an IdentityRow, on either engine. */
export const IDENTITY_ROW = rowShape<IdentityRow>({
  id: 'id',
  displayName: 'display_name',
  role: 'role',
  registeredAt: 'registered_at',
  lastSeen: 'last_seen',
  createdAt: 'created_at',
  originOrgId: 'origin_org_id',
});

/** How an `identity_channels` row reads as a LinkRow, on either engine. */
export const LINK_ROW = rowShape<LinkRow>({
  type: 'channel_type',
  userId: 'user_id',
  identityId: 'identity_id',
  username: 'username',
  linkedAt: 'linked_at',
});

/** How a membership joined to its identity (`m`, `i`) reads as a Member, on either engine. */
export const MEMBER_ROW = rowShape<Member>({
  identityId: 'm.identity_id',
  displayName: 'i.display_name',
  role: 'm.role',
  joinedAt: 'm.joined_at',
});

/** Identities are instance-wide: membership lives in the members repository. */
export interface IdentityRepository {
  get(id: string): Promise<IdentityRow | undefined>;
  insert(i: IdentityRow): Promise<void>;
  touch(id: string, at: string): Promise<void>;
  delete(id: string): Promise<void>;
  link(type: string, userId: string): Promise<LinkRow | undefined>;
  /** Ordered by linkedAt, type, userId. */
  links(identityId: string): Promise<LinkRow[]>;
  insertLink(l: LinkRow): Promise<void>;
  setUsername(type: string, userId: string, username: string): Promise<void>;
  /** Moves every channel of `from` to `to` (a merge), stamping linkedAt. */
  moveLinks(from: string, to: string, at: string): Promise<void>;
}

/** Org membership of identities. */
export interface MembersRepository {
  get(orgId: string, identityId: string): Promise<Member | undefined>;
  /** Ordered by joinedAt, identityId. */
  list(orgId: string): Promise<Member[]>;
  count(orgId: string): Promise<number>;
  /** The orgs an identity is a member of, sorted. */
  orgsOf(identityId: string): Promise<string[]>;
  insert(orgId: string, identityId: string, role: string, joinedAt: string): Promise<void>;
  remove(orgId: string, identityId: string): Promise<boolean>;
  /**
   * A merge: `to` gains every membership of `from` (where both were members, `to`'s own
   * stays as it is), and `from` loses all of them.
   */
  moveAll(from: string, to: string): Promise<void>;
}
