import { z } from 'zod';
import { CHANNEL_NAMES } from '../channels/channels.catalog.js';

export const ROLES = ['owner', 'maintainer', 'operator', 'reviewer', 'read-only', 'emergency_admin'] as const;
export type Role = (typeof ROLES)[number];

/** `web` is a valid channel type for identities (inbound web messages create them). */
export const CHANNEL_TYPES = CHANNEL_NAMES;
export type ChannelType = (typeof CHANNEL_TYPES)[number];
export const isChannelType = (v: string): v is ChannelType => (CHANNEL_TYPES as readonly string[]).includes(v);

const single = (name: string) => z.string({ error: `${name} is required` });

/** Presence is checked before the type's value, so a missing parameter always wins. */
export const IdentityQuery = z
  .object({ channelType: single('channelType'), channelUserId: single('channelUserId') })
  .pipe(
    z.object({
      channelType: z.enum(CHANNEL_TYPES, { error: `channelType must be one of ${CHANNEL_TYPES.join(', ')}` }),
      channelUserId: z.string().max(128, { error: 'channelUserId must be at most 128 characters' }),
    }),
  );

const roleSchema = z.enum(ROLES, { error: `role must be one of ${ROLES.join(', ')}` });

export const RegisterChannel = z.strictObject({
  // Checked against CHANNEL_TYPES by the service, which answers INVALID_CHANNEL.
  type: z.string().min(1).max(32),
  userId: z.string().trim().min(1).max(128),
  username: z.string().trim().min(1).max(100).optional(),
});

export const RegisterIdentityBody = z.strictObject({
  displayName: z.string().trim().min(1).max(100),
  role: roleSchema,
  channels: z.array(RegisterChannel).min(1, { error: 'at least one channel is required' }).max(20),
});
export type RegisterIdentityBody = z.infer<typeof RegisterIdentityBody>;

export const IdentityChannel = z.object({
  type: z.string(),
  userId: z.string(),
  username: z.string().nullable(),
  linkedAt: z.string(),
});

export const Identity = z.object({
  id: z.string(),
  displayName: z.string().nullable(),
  role: z.enum(ROLES),
  channels: z.array(IdentityChannel),
  registeredAt: z.string().nullable(),
  lastSeen: z.string().nullable(),
});
export type Identity = z.infer<typeof Identity>;

export const IdentityLookup = z.union([
  z.object({ found: z.literal(true), identity: Identity }),
  z.object({ found: z.literal(false), identity: z.null() }),
]);

export const OrgIdParams = z.strictObject({ id: z.string() });
export const MemberParams = z.strictObject({ id: z.string(), identityId: z.string() });

export const AddMemberBody = z.strictObject({
  identityId: z.string().trim().min(1).max(100),
  role: roleSchema,
});
export type AddMemberBody = z.infer<typeof AddMemberBody>;

export const Member = z.object({
  identityId: z.string(),
  displayName: z.string().nullable(),
  role: z.string(),
  joinedAt: z.string(),
});
export type Member = z.infer<typeof Member>;

export const RemovedMember = z.object({ removed: z.literal(true) });
