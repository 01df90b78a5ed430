import type { Db } from '../db/open.js';

export interface NewDocument {
  id: string;
  orgId: string;
  projectId: string | null;
  source: string;
  text: string;
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
  bytes: number;
  last: string | null;
}

const SCOPE = '(@orgId IS NULL OR org_id = @orgId) AND (@projectId IS NULL OR project_id = @projectId)';
// Storage is what the rows hold: the text as UTF-8 plus the vector's bytes.
const STATS = `SELECT COUNT(*) AS count, COALESCE(SUM(LENGTH(CAST(text AS BLOB)) + LENGTH(embedding)), 0) AS bytes,
  MAX(created_at) AS last FROM memory_documents`;

export function createMemoryStore(db: Db) {
  const insertDoc = db.prepare(
    `INSERT INTO memory_documents (id, org_id, project_id, source, text, embedding, created_at)
     VALUES (@id, @orgId, @projectId, @source, @text, @embedding, @createdAt)`,
  );
  const docStats = db.prepare<[StoreScope], DocStats>(`${STATS} WHERE ${SCOPE}`);
  const projectDocStats = db.prepare<[StoreScope], DocStats>(`${STATS} WHERE ${SCOPE} AND project_id IS NOT NULL`);
  const vectors = db.prepare<[StoreScope], { seq: number; embedding: Buffer }>(`SELECT seq, embedding FROM memory_documents WHERE ${SCOPE}`);
  const bySeq = db.prepare<[number], { id: string; project_id: string | null; source: string; text: string; created_at: string }>(
    'SELECT id, project_id, source, text, created_at FROM memory_documents WHERE seq = ?',
  );
  const insertConversation = db.prepare(
    `INSERT INTO conversations (id, org_id, project_id, channel, user_id, username, text, received_at)
     VALUES (@id, @orgId, @projectId, @channel, @userId, @username, @text, @receivedAt)`,
  );
  // A user is one sender on one channel: merging identities later does not change history.
  const conversationTotals = db.prepare<[{ orgId: string | null }], { total: number; users: number }>(
    `SELECT COUNT(*) AS total, COUNT(DISTINCT channel || ':' || user_id) AS users FROM conversations
     WHERE (@orgId IS NULL OR org_id = @orgId)`,
  );
  const perChannel = db.prepare<[{ orgId: string | null }], { channel: string; n: number }>(
    `SELECT channel, COUNT(*) AS n FROM conversations WHERE (@orgId IS NULL OR org_id = @orgId) GROUP BY channel`,
  );
  const purgeConversations = db.prepare<[string]>('DELETE FROM conversations WHERE received_at < ?');

  return {
    insertDocument: (d: NewDocument): void => void insertDoc.run(d),
    docStats: (s: StoreScope): DocStats => docStats.get(s)!,
    projectDocStats: (s: StoreScope): DocStats => projectDocStats.get(s)!,
    /** Every vector in scope, streamed (the caller keeps only the best few). */
    vectors: (s: StoreScope): IterableIterator<{ seq: number; embedding: Buffer }> => vectors.iterate(s),
    document(seq: number): StoredDocument | undefined {
      const r = bySeq.get(seq);
      return r && { id: r.id, projectId: r.project_id, source: r.source, text: r.text, createdAt: r.created_at };
    },
    insertConversation: (c: NewConversation): void => void insertConversation.run(c),
    conversationTotals: (orgId: string | null) => conversationTotals.get({ orgId })!,
    perChannel: (orgId: string | null) => perChannel.all({ orgId }),
    purgeConversationsBefore: (cutoff: string): number => purgeConversations.run(cutoff).changes,
  };
}

export type MemoryStore = ReturnType<typeof createMemoryStore>;
