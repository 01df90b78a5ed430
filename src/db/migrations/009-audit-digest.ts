import type { Db } from '../open.js';
import type { Migration } from '../migration.js';
import { GENESIS_HASH } from '../../audit/audit.hash.js';
import { chainDigest, ENCODING_SQL } from '../../audit/audit.digest.js';

const BATCH = 5_000;

/**
 * Computes the digest chain of the entries written before this migration, once, from what is
 * stored now: a change made to them before the upgrade is part of what gets digested and
 * cannot be told from the original afterwards. Chains start from 64 zeros at their current
 * anchor. The append-only trigger is lifted for this update only, inside the migration's
 * transaction, and put back as migration 001 wrote it.
 */
function digestExistingEntries(db: Db): void {
  db.exec('DROP TRIGGER IF EXISTS audit_no_update');
  const orgIds = db.prepare('SELECT org_id FROM audit_chains UNION SELECT DISTINCT org_id FROM audit_entries').pluck().all() as string[];
  const batchOf = db
    .prepare<[string, number, number]>(
      `SELECT chain_seq, seq, ${ENCODING_SQL} FROM audit_entries WHERE org_id = ? AND chain_seq > ? ORDER BY chain_seq LIMIT ?`,
    )
    .raw(true);
  const setDigest = db.prepare('UPDATE audit_entries SET digest = ? WHERE seq = ?');
  const setHead = db.prepare('UPDATE audit_chains SET head_digest = ? WHERE org_id = ?');
  for (const orgId of orgIds) {
    let digest = GENESIS_HASH;
    for (let after = -1; ; ) {
      const rows = batchOf.all(orgId, after, BATCH) as Array<[number, number, string]>;
      for (const [, seq, encoded] of rows) {
        digest = chainDigest(digest, encoded);
        setDigest.run(digest, seq);
      }
      if (rows.length < BATCH) break;
      after = rows[rows.length - 1]![0];
    }
    setHead.run(digest, orgId);
  }
  db.exec(`CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;`);
}

/**
 * The second chain over every stored column of an entry (digest) and, with AUDIT_HMAC_KEY,
 * the chained seal; each chain's head and anchor carry both, so retention keeps them
 * verifiable, and the chain records which key seals it from which entry on. Entries
 * written before have no seal.
 */
export const m009: Migration = {
  version: 9,
  name: 'audit-digest-seal',
  sql: `
ALTER TABLE audit_entries ADD COLUMN digest TEXT;
ALTER TABLE audit_entries ADD COLUMN seal TEXT;
ALTER TABLE audit_chains ADD COLUMN head_digest TEXT NOT NULL DEFAULT '${GENESIS_HASH}';
ALTER TABLE audit_chains ADD COLUMN head_seal TEXT;
ALTER TABLE audit_chains ADD COLUMN head_prev_seal TEXT;
ALTER TABLE audit_chains ADD COLUMN anchor_digest TEXT NOT NULL DEFAULT '${GENESIS_HASH}';
ALTER TABLE audit_chains ADD COLUMN anchor_seal TEXT;
ALTER TABLE audit_chains ADD COLUMN seal_key TEXT;
ALTER TABLE audit_chains ADD COLUMN seal_from INTEGER;
`,
  run: digestExistingEntries,
};
