import { z } from 'zod';

const single = (name: string) => z.string({ error: `${name} must be a single value` });
const projectId = single('projectId').min(1).max(100);

export const MemoryQuery = z.object({ projectId: projectId.optional() });

export const SEARCH_LIMIT_DEFAULT = 10;
export const SEARCH_LIMIT_MAX = 50;

export const SearchQuery = z.object({
  q: single('q').max(1000, { error: 'q must be at most 1000 characters' }),
  limit: single('limit')
    .regex(/^\d{1,15}$/, { error: 'limit must be a positive integer' })
    .transform(Number)
    .refine((n) => n >= 1, { error: 'limit must be at least 1' })
    // Bounded like the audit trail's page size: larger values are clamped.
    .transform((n) => Math.min(n, SEARCH_LIMIT_MAX))
    .optional(),
  projectId: projectId.optional(),
});
export type SearchQuery = z.infer<typeof SearchQuery>;

export const MemoryStats = z.object({
  vectorStore: z.object({
    totalEmbeddings: z.number().int(),
    storageMB: z.number(),
    lastSync: z.string().nullable(),
    dimensions: z.number().int(),
    backend: z.enum(['sqlite', 'postgres']),
  }),
  conversations: z.object({
    totalMessages: z.number().int(),
    uniqueUsers: z.number().int(),
    channels: z.record(z.string(), z.number().int()),
    retentionDays: z.number().int(),
  }),
  projectContext: z.object({
    filesIndexed: z.number().int(),
    lastIndexed: z.string().nullable(),
    repo: z.string().nullable(),
  }),
});
export type MemoryStats = z.infer<typeof MemoryStats>;

export const SearchResult = z.object({
  id: z.string(),
  text: z.string(),
  source: z.string(),
  projectId: z.string().nullable(),
  score: z.number(),
  createdAt: z.string(),
});
export const SearchResponse = z.object({ results: z.array(SearchResult) });
export type SearchResult = z.infer<typeof SearchResult>;
