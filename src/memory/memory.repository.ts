import { rowShape } from '../db/row-shape.js';
export interface NewDocument {
  id: string;
  orgId: string;
  projectId: string | null;
  source: string;
  text: string;
  /** The embedding's float32 values as bytes (see memory/embedder.ts toBlob). */
  embedding: Buffer;
  createdAt: string;
}

export interface StoredDocument {
  id: string;
  projectId: string | null;
  source: string;
  text: string;
  createdAt: string;
}

/** How a `memory_documents` row reads as a StoredDocument, on either engine. */
export const DOCUMENT_ROW = rowShape<StoredDocument>({
  id: 'id',
  projectId: 'project_id',
  source: 'source',
  text: 'text',
  createdAt: 'created_at',
});

export interface NewConversation {
  id: string;
  orgId: string;
  projectId: string | null;
  channel: string;
  userId: string;
  username: string | null;
  text: string;
  receivedAt: string;
}

/** `orgId` null is the operator's all-orgs view; `projectId` null means every project. */
export interface StoreScope {
  orgId: string | null;
  projectId: string | null;
}

export interface DocStats {
  count: number;
  /** The text as UTF-8 plus the embedding's bytes. */
  bytes: number;
  last: string | null;
}

/** Documents are addressed by `seq`, their insertion position (unique, increasing). */
export interface MemoryRepository {
  insertDocument(d: NewDocument): Promise<void>;
  docStats(s: StoreScope): Promise<DocStats>;
  /** Only documents that belong to a project. */
  projectDocStats(s: StoreScope): Promise<DocStats>;
  document(seq: number): Promise<StoredDocument | undefined>;
  insertConversation(c: NewConversation): Promise<void>;
  /** `users` counts distinct (channel, userId) pairs. */
  conversationTotals(orgId: string | null): Promise<{ total: number; users: number }>;
  perChannel(orgId: string | null): Promise<Array<{ channel: string; n: number }>>;
  purgeConversationsBefore(cutoff: string): Promise<number>;
}

export interface VectorMatch {
  seq: number;
  score: number;
}

/**
 * Vector search, a port per engine: the best `limit` documents in scope by cosine
 * similarity to `query` (best first, newer first among equal scores), leaving out those with
 * a score of 0 or less.
 */
export interface VectorSearch {
  nearest(scope: StoreScope, query: Float32Array, limit: number): Promise<VectorMatch[]>;
}
