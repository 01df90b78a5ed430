import { defineRoute, type RouteDef } from '../http/registry.js';
import {
  CreatedProject,
  CreateProjectBody,
  DeletedProject,
  INVALID_REPO_MESSAGE,
  LinkBody,
  LinkResult,
  ProjectIdParams,
  ProjectLinkState,
  ProjectList,
  ProjectQuery,
  UnlinkBody,
  UnlinkResult,
} from './projects.schemas.js';
import type { ProjectsService } from './projects.service.js';

const present = (v: unknown) => v !== undefined;

export function projectsRoutes(projects: ProjectsService): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/project',
      tag: 'Projects',
      summary: "An agent's linked project",
      query: ProjectQuery,
      response: ProjectLinkState,
      errors: ['MISSING_PARAMETER', 'AGENT_NOT_FOUND'],
      invalid: [{ at: 'query.agentId', code: 'MISSING_PARAMETER', message: 'Missing required query parameter: agentId' }],
      handler: ({ scope, query }) => projects.state(scope, query.agentId),
    }),
    defineRoute({
      method: 'post',
      path: '/project/link',
      tag: 'Projects',
      summary: 'Link an agent to a GitHub repository',
      body: LinkBody,
      status: 201,
      response: LinkResult,
      errors: ['INVALID_REPO', 'MISSING_CONFIG', 'AGENT_NOT_FOUND', 'ALREADY_LINKED', 'PROJECT_EXISTS', 'REPO_NOT_FOUND', 'GITHUB_UNAVAILABLE'],
      invalid: [{ at: 'body.repo', code: 'INVALID_REPO', message: INVALID_REPO_MESSAGE, when: present }],
      handler: ({ scope, actor, body }) => projects.link(scope, actor, body),
    }),
    defineRoute({
      method: 'post',
      path: '/project/unlink',
      tag: 'Projects',
      summary: "Unlink an agent from its project (the project stays)",
      body: UnlinkBody,
      response: UnlinkResult,
      errors: ['AGENT_NOT_FOUND', 'NOT_LINKED'],
      handler: ({ scope, actor, body }) => projects.unlink(scope, actor, body.agentId),
    }),
    defineRoute({
      method: 'get',
      path: '/projects',
      tag: 'Projects',
      summary: 'List projects (every org without x-org-id)',
      cacheable: true,
      response: ProjectList,
      handler: ({ scope }) => projects.list(scope),
    }),
    defineRoute({
      method: 'post',
      path: '/projects',
      tag: 'Projects',
      summary: 'Create a project for a repository, with its project agent',
      body: CreateProjectBody,
      status: 201,
      response: CreatedProject,
      errors: ['INVALID_REPO', 'PROJECT_EXISTS', 'REPO_NOT_FOUND', 'GITHUB_UNAVAILABLE'],
      invalid: [{ at: 'body.repo', code: 'INVALID_REPO', message: INVALID_REPO_MESSAGE, when: present }],
      handler: ({ scope, actor, body }) => projects.create(scope, actor, body),
    }),
    defineRoute({
      method: 'delete',
      path: '/projects/:id',
      tag: 'Projects',
      summary: 'Delete a project, its agents and its GitHub webhook',
      params: ProjectIdParams,
      response: DeletedProject,
      errors: ['PROJECT_NOT_FOUND'],
      handler: ({ scope, actor, params }) => projects.remove(scope, actor, params.id),
    }),
  ];
}
