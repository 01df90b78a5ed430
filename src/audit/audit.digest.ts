import { hash } from 'node:crypto';

/**
 * The second chain: a digest over every stored column of an entry, in an encoding that
 * cannot be read two ways, chained from the previous entry's digest and seal. The documented
 * hash concatenates six fields with no separator and leaves out id, org, positions, risk and
 * project; this digest is what makes a change to any of them, or a shifted boundary between
 * two fields, visible to verify.
 *
 *   digest = sha256_hex(previousDigest + seal(previousSeal) + text(orgId) + chainSeq + ","
 *                       + text(hash) + rowHeader + timestamp + actorType + actorId + action + result + metadata)
 *   rowHeader = text(id) + seq + "," + text(risk) + (projectId === null ? "~" : text(projectId))
 *               + the byte lengths of the six hashed fields, each followed by ","
 *   text(s) = <UTF-8 byte length of s> + ":" + s;   seal(null) = "~", seal(s) = text(s)
 *
 * `~` is never a digit, so a null differs from the empty string (`0:`). The six hashed
 * fields come last, concatenated as the documented hash has them; their lengths say where
 * each ends. The row header is built by SQLite at verify time (ROW_HEADER_SQL); the org, the
 * position and the hash are already in hand there, so JavaScript adds them.
 */
export interface RowFields {
  id: string;
  /** Global append order (the unscoped listing's order). */
  seq: number;
  risk: string;
  projectId: string | null;
  timestamp: string;
  actorType: string;
  actorId: string;
  action: string;
  result: string;
  metadataJson: string;
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
const text = (s: string): string => `${bytes(s)}:${s}`;

export function rowHeader(f: RowFields): string {
  return (
    text(f.id) +
    `${f.seq},` +
    text(f.risk) +
    (f.projectId === null ? '~' : text(f.projectId)) +
    `${bytes(f.timestamp)},${bytes(f.actorType)},${bytes(f.actorId)},${bytes(f.action)},${bytes(f.result)},${bytes(f.metadataJson)},`
  );
}

const len = (col: string) => `octet_length(${col})`;

/**
 * rowHeader built by SQLite from audit_entries' columns. octet_length is the UTF-8 byte
 * count of the stored text (what Buffer.byteLength gives for the string that was stored).
 * One concat() call builds it (a chain of `||` copies the growing string at every step);
 * concat skips NULLs, so a column that should never be NULL loses its length too and no
 * digest matches. test/audit/audit-digest.test.ts holds the two to the same bytes.
 */
export const ROW_HEADER_SQL = `concat(${[
  `${len('id')}, ':', id`,
  `seq, ','`,
  `${len('risk')}, ':', risk`,
  `CASE WHEN project_id IS NULL THEN '~' ELSE concat(${len('project_id')}, ':', project_id) END`,
  ...['timestamp', 'actor_type', 'actor_id', 'action', 'result', 'metadata'].map((c) => `${len(c)}, ','`),
].join(', ')})`;

/** What an entry's digest chains from: the previous entry's digest and seal (or the chain's anchor). */
export function chainDigest(
  previousDigest: string,
  previousSeal: string | null,
  orgId: string,
  chainSeq: number,
  storedHash: string,
  header: string,
  body: string,
): string {
  const seal = previousSeal === null ? '~' : text(previousSeal);
  return hash('sha256', previousDigest + seal + text(orgId) + `${chainSeq},` + text(storedHash) + header + body, 'hex');
}
