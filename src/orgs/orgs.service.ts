import type { Clock } from '../clock.js';
import { AppError, badRequest, notFound } from '../http/errors.js';
import { visibleIn, type OrgScope } from '../http/org-scope.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Db } from '../db/open.js';
import { deriveSlug, isValidSlug } from './orgs.slug.js';
import type { CreateOrgBody, Org, OrgMember, OrgProject } from './orgs.schemas.js';
import type { OrgRow, OrgsStore } from './orgs.store.js';

/** What other domains tell orgs about themselves (projects, members), through their services. */
export interface OrgRelations {
  projects(orgId: string): OrgProject[];
  projectCount(orgId: string): number;
  members(orgId: string): OrgMember[];
  memberCount(orgId: string): number;
}

export const noRelations: OrgRelations = {
  projects: () => [],
  projectCount: () => 0,
  members: () => [],
  memberCount: () => 0,
};

export interface OrgsServiceDeps {
  db: Db;
  store: OrgsStore;
  audit: AuditService;
  clock: Clock;
  relations: () => OrgRelations;
}

export function createOrgsService({ db, store, audit, clock, relations }: OrgsServiceDeps) {
  const withCounts = (o: OrgRow): Org => ({
    id: o.id,
    name: o.name,
    slug: o.slug,
    projectCount: relations().projectCount(o.id),
    memberCount: relations().memberCount(o.id),
    createdAt: o.createdAt,
  });

  const insertWithAudit = db.transaction((org: OrgRow, actor: string) => {
    store.insert(org);
    // The first entry of the new org's own chain.
    audit.append({ orgId: org.id, actorType: 'user', actorId: actor, action: 'org_create', metadata: { name: org.name, slug: org.slug } });
  });

  return {
    exists: (id: string): boolean => store.exists(id),
    ids: (): string[] => store.ids(),

    list(scope: OrgScope): Org[] {
      return store.list().filter((o) => visibleIn(scope, o.id)).map(withCounts);
    },

    get(scope: OrgScope, id: string) {
      const org = visibleIn(scope, id) ? store.get(id) : undefined;
      if (!org) throw new AppError(404, 'ORG_NOT_FOUND', 'Organization not found');
      return { ...withCounts(org), projects: relations().projects(id), members: relations().members(id) };
    },

    /** Throws ORG_NOT_FOUND unless the org exists and is visible in the scope. */
    assertVisible(scope: OrgScope, id: string): void {
      if (!visibleIn(scope, id) || !store.exists(id)) throw notFound('Organization', 'ORG_NOT_FOUND');
    },

    create(actor: string, body: CreateOrgBody): Org {
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
      if (store.slugTaken(slug) || store.exists(org.id)) {
        throw new AppError(409, 'ORG_ALREADY_EXISTS', `Organization with slug '${slug}' already exists`);
      }
      insertWithAudit(org, actor);
      return withCounts(org);
    },
  };
}

export type OrgsService = ReturnType<typeof createOrgsService>;
