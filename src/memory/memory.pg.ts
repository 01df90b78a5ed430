import { exec, one, rows, stmt, type Queryable } from '../db/postgres/sql.js';
import { pgShapes } from '../db/postgres/shaped.js';
import { writeOrHold, type HeldWrite } from '../db/postgres/held-writes.js';
import { cosine, fromBlob } from './embedder.js';
import { DOCUMENT_ROW, type NewDocument, type DocStats, type MemoryRepository, type StoreScope, type StoredDocument, type VectorMatch, type VectorSearch } from './memory.repository.js';

const scopeFilters = [
  ['orgId', (p: string) => `org_id = ${p}`],
  ['projectId', (p: string) => `project_id = ${p}`],
] as const;
// Storage is what the rows hold: the text as UTF-8 plus the vector's bytes.
const STATS = `SELECT COUNT(*) AS count, COALESCE(SUM(octet_length(text) + octet_length(embedding)), 0) AS bytes,
  MAX(created_at) AS last FROM memory_documents`;
const docStats = pgShapes<StoreScope>('mem:docStats', scopeFilters, (where) => `${STATS} ${where}`);
const projectDocStats = pgShapes<StoreScope>(
  'mem:projectDocStats',
  scopeFilters,
  (where) => `${STATS} ${where ? `${where} AND` : 'WHERE'} project_id IS NOT NULL`,
);
const orgOnly = [['orgId', (p: string) => `org_id = ${p}`]] as const;
// A user is one sender on one channel: merging identities later does not change history.
const totals = pgShapes<{ orgId: string | null }>(
  'mem:totals',
  orgOnly,
  (where) => `SELECT COUNT(*) AS total, COUNT(DISTINCT channel || ':' || user_id) AS users FROM conversations ${where}`,
);
const perChannel = pgShapes<{ orgId: string | null }>(
  'mem:perChannel',
  orgOnly,
  (where) => `SELECT channel, COUNT(*) AS n FROM conversations ${where} GROUP BY channel ORDER BY channel`,
);

const S = {
  insertDoc: stmt(
    'mem:insertDoc',
    `INSERT INTO memory_documents (id, org_id, project_id, source, text, embedding, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  ),
  insertDocs: stmt(
    'mem:insertDocs',
    `INSERT INTO memory_documents (id, org_id, project_id, source, text, embedding, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::text[])`,
  ),
  bySeq: stmt(
    'mem:bySeq',
    `SELECT ${DOCUMENT_ROW.select()} FROM memory_documents WHERE seq = $1`,
  ),
  insertConversation: stmt(
    'mem:insertConversation',
    `INSERT INTO conversations (id, org_id, project_id, channel, user_id, username, text, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  ),
  purge: stmt('mem:purge', 'DELETE FROM conversations WHERE received_at < $1'),
};

const docValues = (d: NewDocument): unknown[] => [d.id, d.orgId, d.projectId, d.source, d.text, d.embedding, d.createdAt];

/** Documents, held back by a unit: one statement for all, in the order they were added. */
const DOCUMENTS: HeldWrite<NewDocument> = {
  name: 'memory documents',
  values: docValues,
  async write(q, held) {
    if (held.length === 1) return void (await exec(q, S.insertDoc, docValues(held[0]!)));
    const values = held.map(docValues);
    await exec(q, S.insertDocs, values[0]!.map((_, i) => values.map((v) => v[i])));
  },
};

export function createMemoryPg(q: Queryable): MemoryRepository {
  const stats = async (shape: ReturnType<typeof docStats>): Promise<DocStats> => (await one<DocStats>(q, shape.stmt, shape.values))!;
  return {
    insertDocument: (d) => writeOrHold(q, DOCUMENTS, d),
    docStats: (s) => stats(docStats(s)),
    projectDocStats: (s) => stats(projectDocStats(s)),
    document: (seq) => one<StoredDocument>(q, S.bySeq, [seq]),
    insertConversation: async (c) =>
      void (await exec(q, S.insertConversation, [c.id, c.orgId, c.projectId, c.channel, c.userId, c.username, c.text, c.receivedAt])),
    async conversationTotals(orgId) {
      const { stmt: s, values } = totals({ orgId });
      return (await one<{ total: number; users: number }>(q, s, values))!;
    },
    perChannel(orgId) {
      const { stmt: s, values } = perChannel({ orgId });
      return rows<{ channel: string; n: number }>(q, s, values);
    },
    purgeConversationsBefore: (cutoff) => exec(q, S.purge, [cutoff]),
  };
}

const BATCH = 2_000;
const vectorBatch = pgShapes<StoreScope>(
  'mem:vectors',
  scopeFilters,
  (where, next) => `SELECT seq, embedding FROM memory_documents ${where ? `${where} AND` : 'WHERE'} seq > $${next} ORDER BY seq LIMIT ${BATCH}`,
);

const byScore = (a: VectorMatch, b: VectorMatch) => b.score - a.score || b.seq - a.seq;

/**
 * The same search as SQLite's: cosine similarity computed here over the stored vectors,
 * read in batches by position so a large store never sits in memory at once.
 */
export function createPgVectorSearch(q: Queryable): VectorSearch {
  return {
    async nearest(scope, query, limit) {
      const best: VectorMatch[] = [];
      const { stmt: s, values } = vectorBatch(scope);
      for (let after = 0; ; ) {
        const batch = await rows<{ seq: number; embedding: Buffer }>(q, s, [...values, after]);
        for (const { seq, embedding } of batch) {
          const score = cosine(query, fromBlob(embedding));
          if (score <= 1e-9) continue;
          best.push({ seq, score });
          if (best.length > limit * 4) best.sort(byScore).splice(limit);
        }
        if (batch.length < BATCH) break;
        after = batch[batch.length - 1]!.seq;
      }
      return best.sort(byScore).slice(0, limit);
    },
  };
}
