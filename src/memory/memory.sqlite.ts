import type { Db } from '../db/open.js';
import { cosine, fromBlob } from './embedder.js';
import { DOCUMENT_ROW, type DocStats, type MemoryRepository, type StoreScope, type StoredDocument, type VectorMatch, type VectorSearch } from './memory.repository.js';

const SCOPE = '(@orgId IS NULL OR org_id = @orgId) AND (@projectId IS NULL OR project_id = @projectId)';
// Storage is what the rows hold: the text as UTF-8 plus the vector's bytes.
const STATS = `SELECT COUNT(*) AS count, COALESCE(SUM(LENGTH(CAST(text AS BLOB)) + LENGTH(embedding)), 0) AS bytes,
  MAX(created_at) AS last FROM memory_documents`;

export function createMemorySqlite(db: Db): MemoryRepository {
  const insertDoc = db.prepare(
    `INSERT INTO memory_documents (id, org_id, project_id, source, text, embedding, created_at)
     VALUES (@id, @orgId, @projectId, @source, @text, @embedding, @createdAt)`,
  );
  const docStats = db.prepare<[StoreScope], DocStats>(`${STATS} WHERE ${SCOPE}`);
  const projectDocStats = db.prepare<[StoreScope], DocStats>(`${STATS} WHERE ${SCOPE} AND project_id IS NOT NULL`);
  const bySeq = db.prepare<[number], StoredDocument>(
    `SELECT ${DOCUMENT_ROW.select()} FROM memory_documents WHERE seq = ?`,
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
    insertDocument: async (d) => void insertDoc.run(d),
    docStats: async (s) => docStats.get(s)!,
    projectDocStats: async (s) => projectDocStats.get(s)!,
    document: async (seq) => bySeq.get(seq),
    insertConversation: async (c) => void insertConversation.run(c),
    conversationTotals: async (orgId) => conversationTotals.get({ orgId })!,
    perChannel: async (orgId) => perChannel.all({ orgId }),
    purgeConversationsBefore: async (cutoff) => purgeConversations.run(cutoff).changes,
  };
}

const byScore = (a: VectorMatch, b: VectorMatch) => b.score - a.score || b.seq - a.seq;

/** Vector search on SQLite: every vector in scope streamed off the file, the best few kept. */
export function createSqliteVectorSearch(db: Db): VectorSearch {
  const vectors = db.prepare<[StoreScope], { seq: number; embedding: Buffer }>(`SELECT seq, embedding FROM memory_documents WHERE ${SCOPE}`);
  return {
    async nearest(scope, query, limit) {
      const best: VectorMatch[] = [];
      for (const { seq, embedding } of vectors.iterate(scope)) {
        const score = cosine(query, fromBlob(embedding));
        if (score <= 1e-9) continue;
        best.push({ seq, score });
        if (best.length > limit * 4) best.sort(byScore).splice(limit);
      }
      return best.sort(byScore).slice(0, limit);
    },
  };
}
