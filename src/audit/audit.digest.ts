import { hash } from 'node:crypto';

/**
 * The second chain: a digest over every stored column of an entry, in an encoding that
 * cannot be read two ways, chained from the previous entry's digest:
 *
 *   digest   = sha256_hex(previousDigest + encoding)
 *   encoding = chainSeq + "," + seq + "," + text(id) + text(orgId) + text(risk)
 *              + (projectId === null ? "~" : text(projectId)) + text(hash)
 *              + text(timestamp) + text(actorType) + text(actorId) + text(action)
 *              + text(result) + text(metadata)
 *   text(s)  = <UTF-8 byte length of s> + ":" + s
 *
 * `~` is never a digit, so a null project differs from an empty one (`0:`), and lengths say
 * where every field ends, so text cannot move from one field to the next (the documented
 * hash concatenates six of them with no separator and leaves the others out). The digest
 * covers the documented hash as stored, and the server computes that hash from the previous
 * entry's stored hash, so an entry whose digest checks out carries the hash the server wrote
 * for it: verify computes one SHA-256 per entry. It reads the encoding as one string built by
 * SQLite (ENCODING_SQL), whose leading chain position also tells verification where it is.
 */
export interface EncodedFields {
  id: string;
  orgId: string;
  /** Global append order (the unscoped listing's order). */
  seq: number;
  /** Position in the org's chain. */
  chainSeq: number;
  risk: string;
  projectId: string | null;
  hash: string;
  timestamp: string;
  actorType: string;
  actorId: string;
  action: string;
  result: string;
  metadataJson: string;
}

const text = (s: string): string => `${Buffer.byteLength(s, 'utf8')}:${s}`;

export function encoding(f: EncodedFields): string {
  return (
    `${f.chainSeq},${f.seq},` +
    text(f.id) +
    text(f.orgId) +
    text(f.risk) +
    (f.projectId === null ? '~' : text(f.projectId)) +
    text(f.hash) +
    text(f.timestamp) +
    text(f.actorType) +
    text(f.actorId) +
    text(f.action) +
    text(f.result) +
    text(f.metadataJson)
  );
}

const sqlText = (col: string) => `octet_length(${col}), ':', ${col}`;

/**
 * `encoding` built by SQLite from audit_entries' columns. octet_length is the UTF-8 byte
 * count of the stored text (what Buffer.byteLength gives for the string that was stored).
 * One concat() call builds it (a chain of `||` copies the growing string at every step);
 * concat skips NULLs, so a column that should never be NULL loses its length too and no
 * digest matches. test/audit/audit-digest.test.ts holds the two to the same bytes.
 */
export const ENCODING_SQL = `concat(${[
  `chain_seq, ',', seq, ','`,
  sqlText('id'),
  sqlText('org_id'),
  sqlText('risk'),
  `CASE WHEN project_id IS NULL THEN '~' ELSE concat(${sqlText('project_id')}) END`,
  ...['hash', 'timestamp', 'actor_type', 'actor_id', 'action', 'result', 'metadata'].map(sqlText),
].join(', ')})`;

/** sha256_hex(previousDigest + encoding). */
export const chainDigest = (previousDigest: string, encoded: string): string => hash('sha256', previousDigest + encoded, 'hex');
