import { arrays, one, rows, scalar, stmt, type Queryable } from '../db/postgres/sql.js';
import { ENCODING_SQL } from './audit.digest.js';
import type { ChainLink, ChainReads, ChainState, DigestRow, MovedCandidate, SealRow, VerifyRow } from './audit.repository.js';

/*
 * ENCODING_SQL is plain SQL that PostgreSQL runs as SQLite does: concat() skips NULLs and
 * turns integers into their decimal text, and octet_length() counts UTF-8 bytes in a UTF8
 * database (the only kind the migrations accept), so both engines build the same string.
 */
const RANGE = 'FROM audit_entries WHERE org_id = $1 AND chain_seq > $2 ORDER BY chain_seq LIMIT $3';
const CANDIDATE = `id, seq, timestamp, actor_type AS "actorType", actor_id AS "actorId", action, result, metadata AS "metadataJson",
  hash, risk, project_id AS "projectId", digest`;

/** A chain's head as ChainState, from audit_chains. */
export const CHAIN_STATE_COLUMNS = `head_hash AS "headHash", head_seq AS "headSeq", head_digest AS "headDigest", head_seal AS "headSeal",
  head_prev_seal AS "headPrevSeal", anchor_hash AS "anchorHash", anchor_seq AS "anchorSeq", anchor_digest AS "anchorDigest",
  anchor_seal AS "anchorSeal", seal_key AS "sealKey", seal_from AS "sealFrom"`;

const S = {
  chain: stmt('chain:get', `SELECT ${CHAIN_STATE_COLUMNS} FROM audit_chains WHERE org_id = $1`),
  chains: stmt('chain:all', 'SELECT org_id AS "orgId", head_seq - anchor_seq AS count FROM audit_chains ORDER BY org_id'),
  encodings: stmt('chain:encodings', `SELECT ${ENCODING_SQL} ${RANGE}`),
  verifyRows: stmt('chain:verifyRows', `SELECT chain_seq, seq, ${ENCODING_SQL} ${RANGE}`),
  digestRows: stmt('chain:digestRows', `SELECT chain_seq, seq, ${ENCODING_SQL}, digest ${RANGE}`),
  sealRows: stmt('chain:sealRows', `SELECT chain_seq, seq, digest, seal ${RANGE}`),
  linkAt: stmt('chain:linkAt', 'SELECT hash, digest, seal FROM audit_entries WHERE org_id = $1 AND chain_seq = $2'),
  idAt: stmt('chain:idAt', 'SELECT id FROM audit_entries WHERE org_id = $1 AND chain_seq = $2'),
  idOf: stmt('chain:idOf', 'SELECT id FROM audit_entries WHERE seq = $1'),
  seqBefore: stmt('chain:seqBefore', 'SELECT seq FROM audit_entries WHERE org_id = $1 AND chain_seq < $2 ORDER BY chain_seq DESC LIMIT 1'),
  seqAfter: stmt('chain:seqAfter', 'SELECT seq FROM audit_entries WHERE org_id = $1 AND chain_seq > $2 ORDER BY chain_seq LIMIT 1'),
  upFrom: stmt('chain:upFrom', `SELECT ${CANDIDATE} FROM audit_entries WHERE seq > $1 AND seq < $2 ORDER BY seq LIMIT $3`),
  downFrom: stmt('chain:downFrom', `SELECT ${CANDIDATE} FROM audit_entries WHERE seq < $1 ORDER BY seq DESC LIMIT $2`),
};

type CandidateRow = MovedCandidate['fields'] & { digest: string };

/** The reads of a chain over a pool or one connection (verification's snapshot transaction). */
export function createChainReadsPg(q: Queryable): ChainReads {
  return {
    chain: (orgId) => one<ChainState>(q, S.chain, [orgId]),
    chains: () => rows<{ orgId: string; count: number }>(q, S.chains),
    encodingBatch: async (orgId, afterSeq, limit) => (await arrays<[string]>(q, S.encodings, [orgId, afterSeq, limit])).map((r) => r[0]),
    verifyBatch: (orgId, afterSeq, limit) => arrays<VerifyRow>(q, S.verifyRows, [orgId, afterSeq, limit]),
    digestBatch: (orgId, afterSeq, limit) => arrays<DigestRow>(q, S.digestRows, [orgId, afterSeq, limit]),
    sealBatch: (orgId, afterSeq, limit) => arrays<SealRow>(q, S.sealRows, [orgId, afterSeq, limit]),
    linkAt: (orgId, chainSeq) => one<ChainLink>(q, S.linkAt, [orgId, chainSeq]),
    idAt: (orgId, chainSeq) => scalar<string>(q, S.idAt, [orgId, chainSeq]),
    idOf: (seq) => scalar<string>(q, S.idOf, [seq]),
    seqBefore: async (orgId, chainSeq) => (await scalar<number>(q, S.seqBefore, [orgId, chainSeq])) ?? null,
    seqAfter: async (orgId, chainSeq) => (await scalar<number>(q, S.seqAfter, [orgId, chainSeq])) ?? null,
    async appendedAround(afterSeq, beforeSeq, limit) {
      const upper = beforeSeq ?? Number.MAX_SAFE_INTEGER;
      const found =
        afterSeq === null ? await rows<CandidateRow>(q, S.downFrom, [upper, limit]) : await rows<CandidateRow>(q, S.upFrom, [afterSeq, upper, limit]);
      return found.map(({ digest, ...fields }) => ({ fields, digest }));
    },
  };
}
