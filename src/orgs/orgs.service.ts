import type { Clock } from '../clock.js';
import { AppError, badRequest } from '../http/errors.js';
import { visibleIn, type OrgScope } from '../http/org-scope.js';
import type { AuditService } from '../audit/audit.service.js';
import type { UnitOfWork } from '../db/engine.js';
import { deriveSlug, isValidSlug } from './orgs.slug.js';
import type { CreateOrgBody, Org, OrgMember, OrgProject } from './orgs.schemas.js';
import type { OrgRow, OrgsRepository } from './orgs.repository.js';
import type { OrgDirectory } from './orgs.directory.js';

/** What other domains tell orgs about themselves (projects, members), through their services. */
export interface OrgRelations {
  projects(orgId: string): Promise<OrgProject[]>;
  projectCount(orgId: string): Promise<number>;
  members(orgId: string): Promise<OrgMember[]>;
  memberCount(orgId: string): Promise<number>;
}

export const noRelations: OrgRelations = {
  projects: async () => [],
  projectCount: async () => 0,
  members: async () => [],
  memberCount: async () => 0,
};

export interface OrgsServiceDeps {
  uow: UnitOfWork;
  audit: AuditService;
  clock: Clock;
  directory: OrgDirectory;
  relations: OrgRelations;
}

export function createOrgsService({ uow, audit, clock, directory, relations }: OrgsServiceDeps) {
  const store = (): OrgsRepository => uow.current().orgs;
  const { exists } = directory;

  const withCounts = async (o: OrgRow): Promise<Org> => ({
    id: o.id,
    name: o.name,
    slug: o.slug,
    projectCount: await relations.projectCount(o.id),
    memberCount: await relations.memberCount(o.id),
    createdAt: o.createdAt,
  });

  const insertWithAudit = (org: OrgRow, actor: string) =>
    uow.run(async (tx) => {
      await tx.orgs.insert(org);
      // The first entry of the new org's own chain.
      await audit.append({ orgId: org.id, actorType: 'user', actorId: actor, action: 'org_create', metadata: { name: org.name, slug: org.slug } });
    });

  return {
    exists,
    ids: (): Promise<string[]> => store().ids(),

    async list(scope: OrgScope): Promise<Org[]> {
      const rows = (await store().list()).filter((o) => visibleIn(scope, o.id));
      return Promise.all(rows.map(withCounts));
    },

    async get(scope: OrgScope, id: string) {
      const org = visibleIn(scope, id) ? await store().get(id) : undefined;
      if (!org) throw new AppError('ORG_NOT_FOUND', 'Organization not found');
      return { ...(await withCounts(org)), projects: await relations.projects(id), members: await relations.members(id) };
    },

    async create(actor: string, body: CreateOrgBody): Promise<Org> {
      const slug = body.slug ?? deriveSlug(body.name);
      if (!isValidSlug(slug)) {
        throw badRequest(
          'INVALID_SLUG',
          body.slug === undefined
            ? 'Could not derive a slug from the name: provide a slug of lowercase letters, digits and single hyphens'
            : 'Slug must be lowercase letters and digits in groups joined by single hyphens, at most 50 characters',
        );
      }
      const org: OrgRow = { id: `org-${slug}`, name: body.name, slug, createdAt: clock.now().toISOString() };
      if ((await store().slugTaken(slug)) || (await exists(org.id))) {
        throw new AppError('ORG_ALREADY_EXISTS', `Organization with slug '${slug}' already exists`);
      }
      await insertWithAudit(org, actor);
      return withCounts(org);
    },
  };
}

export type OrgsService = ReturnType<typeof createOrgsService>;
