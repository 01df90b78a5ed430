import { defineRoute, type RouteDef } from '../http/registry.js';
import { MemoryQuery, MemoryStats, SearchQuery, SearchResponse } from './memory.schemas.js';
import type { MemoryService } from './memory.service.js';

export function memoryRoutes(memory: MemoryService): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/memory',
      tag: 'Memory',
      summary: 'Memory figures (vector store, conversations, project context) for the org in scope',
      query: MemoryQuery,
      response: MemoryStats,
      errors: ['INVALID_PARAMETER'],
      invalid: [{ at: 'query', code: 'INVALID_PARAMETER' }],
      handler: ({ scope, query }) => memory.stats(scope, query.projectId),
    }),
    defineRoute({
      method: 'get',
      path: '/memory/search',
      tag: 'Memory',
      summary: 'Search memory documents by cosine similarity, best first',
      query: SearchQuery,
      response: SearchResponse,
      errors: ['MISSING_PARAMETER', 'INVALID_PARAMETER'],
      invalid: [
        { at: 'query.q', code: 'MISSING_PARAMETER', message: 'Missing required parameter: q', when: (v) => v === undefined },
        { at: 'query', code: 'INVALID_PARAMETER' },
      ],
      handler: ({ scope, query }) => memory.search(scope, query),
    }),
  ];
}
