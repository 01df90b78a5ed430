import { verifyOrg } from '../../audit/audit.chain-check.js';
import type { Sealer } from '../../audit/audit.seal.js';
import { createPool } from './pool.js';
import { createPgSnapshotReader } from './snapshot.js';

/**
 * What GET /api/audit/verify (without x-org-id) answers over the copied database: every org's
 * chain checked on one snapshot, seals too when the key is given.
 */
export async function verifyCopy(url: string, sealer?: Sealer): Promise<{ valid: boolean; checked: number }> {
  const pool = createPool({ url, max: 2, applicationName: 'codespar-db-copy' });
  try {
    return await createPgSnapshotReader(pool).read(async (reads) => {
      const orgIds = new Set((await reads.chains()).map((c) => c.orgId));
      // Entries of an org without a chain row are a break too: verification must see them.
      const { rows } = await pool.query<{ id: string }>('SELECT id FROM orgs UNION SELECT DISTINCT org_id FROM audit_entries');
      for (const r of rows) orgIds.add(r.id);
      let valid = true;
      let checked = 0;
      for (const orgId of [...orgIds].sort()) {
        const result = await verifyOrg(reads, orgId, sealer);
        valid &&= result.valid;
        checked += result.checked;
      }
      return { valid, checked };
    });
  } finally {
    await pool.end();
  }
}
