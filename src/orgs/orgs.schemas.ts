import { z } from 'zod';

export const CreateOrgBody = z.strictObject({
  name: z.string().trim().min(1).max(100, { error: 'name must be at most 100 characters' }),
  slug: z.string().optional(),
});
export type CreateOrgBody = z.infer<typeof CreateOrgBody>;

export const OrgIdParams = z.strictObject({ id: z.string() });

export const Org = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  projectCount: z.number().int(),
  memberCount: z.number().int(),
  createdAt: z.string(),
});
export type Org = z.infer<typeof Org>;

export const OrgProject = z.object({
  id: z.string(),
  name: z.string(),
  repo: z.string(),
  agentId: z.string().nullable(),
  agentStatus: z.string().nullable(),
  autonomyLevel: z.number().int().nullable(),
  createdAt: z.string(),
});
export type OrgProject = z.infer<typeof OrgProject>;

export const OrgMember = z.object({
  identityId: z.string(),
  displayName: z.string().nullable(),
  role: z.string(),
  joinedAt: z.string(),
});
export type OrgMember = z.infer<typeof OrgMember>;

export const OrgDetails = Org.extend({ projects: z.array(OrgProject), members: z.array(OrgMember) });
