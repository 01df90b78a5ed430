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
