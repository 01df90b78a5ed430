import type { Clock } from '../clock.js';
import type { OrgScope } from '../http/org-scope.js';
import { newId } from '../ids.js';
import { toBlob, type Embedder } from './embedder.js';
import { SEARCH_LIMIT_DEFAULT, type MemoryStats, type SearchQuery, type SearchResult } from './memory.schemas.js';
import type { EngineKind, UnitOfWork } from '../db/engine.js';
import type { MemoryRepository, NewConversation, VectorSearch } from './memory.repository.js';

export interface MemoryServiceDeps {
  uow: UnitOfWork;
  vectors: VectorSearch;
  /** The engine's name, reported as the vector store's backend. */
  backend: EngineKind;
  clock: Clock;
  embedder: Embedder;
  /** Every channel name, so `conversations.channels` lists silent channels with 0. */
  channelNames: readonly string[];
  /** How long conversations are kept (purgeConversations enforces it). */
  retentionDays: number;
  /** Port to the projects domain: the repo of a project visible in the org (null: all orgs). */
  projectRepo: (orgId: string | null, projectId: string) => Promise<string | null>;
}

export interface NewDocumentInput {
  orgId: string;
  projectId: string | null;
  /** What fed it: `web-message`, `push`, `pull_request`, … */
  source: string;
  text: string;
}

/** An inbound message as the channels domain hands it over (the store adds its id). */
export type ConversationInput = Omit<NewConversation, 'id'>;

const BYTES_PER_MB = 1024 * 1024;
// Six decimals: one short document (~1 KB) must still move the figure.
const toMB = (bytes: number): number => Math.round((bytes / BYTES_PER_MB) * 1e6) / 1e6;
const round = (x: number): number => Math.round(x * 1e6) / 1e6;

export function createMemoryService({ uow, vectors, backend, clock, embedder, channelNames, retentionDays, projectRepo }: MemoryServiceDeps) {
  const store = (): MemoryRepository => uow.current().memory;

  return {
    /** The module other domains (webhooks, channels) feed memory through. */
    async addDocument(input: NewDocumentInput): Promise<{ id: string; createdAt: string }> {
      const id = newId('mem', 12);
      const createdAt = clock.now().toISOString();
      const embedding = toBlob(embedder.embed(input.text));
      await store().insertDocument({ id, orgId: input.orgId, projectId: input.projectId, source: input.source, text: input.text, embedding, createdAt });
      return { id, createdAt };
    },

    async recordConversation(input: ConversationInput): Promise<{ id: string }> {
      const id = newId('msg', 12);
      await store().insertConversation({ id, ...input });
      return { id };
    },

    /** For GET /api/agents/:id: the memory of one project. */
    async summaryForProject(orgId: string, projectId: string): Promise<{ embeddings: number; storageMB: number }> {
      const s = await store().docStats({ orgId, projectId });
      return { embeddings: s.count, storageMB: toMB(s.bytes) };
    },

    async stats(scope: OrgScope, projectId?: string): Promise<MemoryStats> {
      const orgId = scope.orgId;
      const docs = await store().docStats({ orgId, projectId: null });
      const context = await store().projectDocStats({ orgId, projectId: projectId ?? null });
      const totals = await store().conversationTotals(orgId);
      const channels: Record<string, number> = Object.fromEntries(channelNames.map((n) => [n, 0]));
      for (const { channel, n } of await store().perChannel(orgId)) channels[channel] = n;
      return {
        vectorStore: { totalEmbeddings: docs.count, storageMB: toMB(docs.bytes), lastSync: docs.last, dimensions: embedder.dimensions, backend },
        conversations: { totalMessages: totals.total, uniqueUsers: totals.users, channels, retentionDays },
        projectContext: {
          filesIndexed: context.count,
          lastIndexed: context.last,
          repo: projectId === undefined ? null : await projectRepo(orgId, projectId),
        },
      };
    },

    async search(scope: OrgScope, q: SearchQuery): Promise<{ results: SearchResult[] }> {
      const query = embedder.embed(q.q);
      const matches = await vectors.nearest({ orgId: scope.orgId, projectId: q.projectId ?? null }, query, q.limit ?? SEARCH_LIMIT_DEFAULT);
      const results: SearchResult[] = [];
      for (const { seq, score } of matches) {
        const d = await store().document(seq);
        if (d) results.push({ id: d.id, text: d.text, source: d.source, projectId: d.projectId, score: round(score), createdAt: d.createdAt });
      }
      return { results };
    },

    /** Retention of inbound messages; the documents embedded from them stay. */
    purgeConversations(): Promise<number> {
      const cutoff = new Date(clock.now().getTime() - retentionDays * 86_400_000).toISOString();
      return store().purgeConversationsBefore(cutoff);
    },
  };
}


export type MemoryService = ReturnType<typeof createMemoryService>;
