import { z } from 'zod';
import { defineRoute, type RouteDef } from '../http/registry.js';
import {
  AGENT_TYPE_TABLE,
  Agent,
  AgentActionBody,
  AgentDetails,
  AgentIdParams,
  AgentListQuery,
  AgentTypeInfo,
  AUTONOMY_MESSAGE,
  AutonomyActionResult,
  CreateAgentBody,
  DeletedAgent,
  INVALID_ACTION_MESSAGE,
  INVALID_TYPE_MESSAGE,
  StatusActionResult,
} from './agents.schemas.js';
import type { AgentsService } from './agents.service.js';

export function agentsRoutes(agents: AgentsService): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/agent-types',
      tag: 'Agents',
      summary: 'List the agent types',
      response: z.array(AgentTypeInfo),
      handler: () => AGENT_TYPE_TABLE,
    }),
    defineRoute({
      method: 'get',
      path: '/agents',
      tag: 'Agents',
      summary: 'List agents',
      query: AgentListQuery,
      response: z.array(Agent),
      errors: ['INVALID_PARAMETER'],
      invalid: [{ at: 'query', code: 'INVALID_PARAMETER' }],
      handler: ({ scope, query }) => agents.list(scope, query),
    }),
    defineRoute({
      method: 'get',
      path: '/agents/:id',
      tag: 'Agents',
      summary: 'Get an agent with its project, stats and memory',
      params: AgentIdParams,
      response: AgentDetails,
      errors: ['AGENT_NOT_FOUND'],
      handler: ({ scope, params }) => agents.details(scope, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/agents',
      tag: 'Agents',
      summary: 'Create an agent',
      body: CreateAgentBody,
      status: 201,
      response: Agent,
      errors: ['INVALID_AGENT_TYPE', 'INVALID_AUTONOMY_LEVEL', 'MISSING_FIELD', 'PROJECT_NOT_FOUND', 'AGENT_ALREADY_EXISTS'],
      invalid: [
        { at: 'body.type', code: 'INVALID_AGENT_TYPE', message: INVALID_TYPE_MESSAGE },
        { at: 'body.autonomyLevel', code: 'INVALID_AUTONOMY_LEVEL', message: AUTONOMY_MESSAGE },
      ],
      handler: ({ scope, actor, body }) => agents.create(scope, actor, body),
    }),
    defineRoute({
      method: 'delete',
      path: '/agents/:id',
      tag: 'Agents',
      summary: 'Remove an agent',
      params: AgentIdParams,
      response: DeletedAgent,
      errors: ['AGENT_NOT_FOUND'],
      handler: ({ scope, actor, params }) => agents.remove(scope, actor, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/agents/:id/action',
      tag: 'Agents',
      summary: 'Suspend, resume, restart an agent or set its autonomy level',
      params: AgentIdParams,
      body: AgentActionBody,
      response: z.union([StatusActionResult, AutonomyActionResult]),
      errors: ['AGENT_NOT_FOUND', 'INVALID_ACTION', 'INVALID_AUTONOMY_LEVEL'],
      invalid: [
        { at: 'body.action', code: 'INVALID_ACTION', message: INVALID_ACTION_MESSAGE },
        { at: 'body.params', code: 'INVALID_AUTONOMY_LEVEL', message: AUTONOMY_MESSAGE },
      ],
      handler: ({ scope, actor, params, body }) => agents.act(scope, actor, params.id, body),
    }),
  ];
}
