import type { Clock } from '../clock.js';
import type { OrgScope } from '../http/org-scope.js';
import { newId } from '../ids.js';
import { cosine, fromBlob, toBlob, type Embedder } from './embedder.js';
import { SEARCH_LIMIT_DEFAULT, type MemoryStats, type SearchQuery, type SearchResult } from './memory.schemas.js';
import type { MemoryStore, NewConversation } from './memory.store.js';

export interface MemoryServiceDeps {
  store: MemoryStore;
  clock: Clock;
  embedder: Embedder;
  /** Every channel name, so `conversations.channels` lists silent channels with 0. */
  channelNames: readonly string[];
  /** How long conversations are kept (purgeConversations enforces it). */
  retentionDays: number;
  /** Port to the projects domain: the repo of a project visible in the org (null: all orgs). */
  projectRepo: (orgId: string | null, projectId: string) => string | null;
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

export function createMemoryService({ store, clock, embedder, channelNames, retentionDays, projectRepo }: MemoryServiceDeps) {
  /** Best `limit` documents by cosine similarity, newest first among equals; unrelated ones are left out. */
  function topMatches(orgId: string | null, projectId: string | null, query: Float32Array, limit: number) {
    const best: Array<{ seq: number; score: number }> = [];
    for (const { seq, embedding } of store.vectors({ orgId, projectId })) {
      const score = cosine(query, fromBlob(embedding));
      if (score <= 1e-9) continue;
      best.push({ seq, score });
      if (best.length > limit * 4) best.sort(byScore).splice(limit);
    }
    return best.sort(byScore).slice(0, limit);
  }

  return {
    /** The module other domains (webhooks, channels) feed memory through. */
    addDocument(input: NewDocumentInput): { id: string; createdAt: string } {
      const id = newId('mem', 12);
      const createdAt = clock.now().toISOString();
      const embedding = toBlob(embedder.embed(input.text));
      store.insertDocument({ id, orgId: input.orgId, projectId: input.projectId, source: input.source, text: input.text, embedding, createdAt });
      return { id, createdAt };
    },

    recordConversation(input: ConversationInput): { id: string } {
      const id = newId('msg', 12);
      store.insertConversation({ id, ...input });
      return { id };
    },

    /** For GET /api/agents/:id: the memory of one project. */
    summaryForProject(orgId: string, projectId: string): { embeddings: number; storageMB: number } {
      const s = store.docStats({ orgId, projectId });
      return { embeddings: s.count, storageMB: toMB(s.bytes) };
    },

    stats(scope: OrgScope, projectId?: string): MemoryStats {
      const orgId = scope.orgId;
      const docs = store.docStats({ orgId, projectId: null });
      const context = store.projectDocStats({ orgId, projectId: projectId ?? null });
      const totals = store.conversationTotals(orgId);
      const channels: Record<string, number> = Object.fromEntries(channelNames.map((n) => [n, 0]));
      for (const { channel, n } of store.perChannel(orgId)) channels[channel] = n;
      return {
        vectorStore: { totalEmbeddings: docs.count, storageMB: toMB(docs.bytes), lastSync: docs.last, dimensions: embedder.dimensions, backend: 'sqlite' },
        conversations: { totalMessages: totals.total, uniqueUsers: totals.users, channels, retentionDays },
        projectContext: {
          filesIndexed: context.count,
          lastIndexed: context.last,
          repo: projectId === undefined ? null : projectRepo(orgId, projectId),
        },
      };
    },

    search(scope: OrgScope, q: SearchQuery): { results: SearchResult[] } {
      const query = embedder.embed(q.q);
      const matches = topMatches(scope.orgId, q.projectId ?? null, query, q.limit ?? SEARCH_LIMIT_DEFAULT);
      const results = matches.flatMap(({ seq, score }) => {
        const d = store.document(seq);
        return d ? [{ id: d.id, text: d.text, source: d.source, projectId: d.projectId, score: round(score), createdAt: d.createdAt }] : [];
      });
      return { results };
    },

    /** Retention of inbound messages; the documents embedded from them stay. */
    purgeConversations(): number {
      const cutoff = new Date(clock.now().getTime() - retentionDays * 86_400_000).toISOString();
      return store.purgeConversationsBefore(cutoff);
    },
  };
}

const byScore = (a: { seq: number; score: number }, b: { seq: number; score: number }) => b.score - a.score || b.seq - a.seq;

export type MemoryService = ReturnType<typeof createMemoryService>;
