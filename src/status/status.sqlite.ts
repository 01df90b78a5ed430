import type { Db } from '../db/open.js';
import type { StatusCounts, StatusRepository } from './status.repository.js';

const count = (v: unknown): number => Number(v ?? 0);

/**
 * SQLite counts. The audit total comes from the per-org chain counters (head minus anchor:
 * retention removes only a prefix), never from a scan of the entries.
 */
export function createSqliteStatusRepository(db: Db): StatusRepository {
  const all = {
    agents: db.prepare<[]>('SELECT status, COUNT(*) FROM agents GROUP BY status').raw(),
    projects: db.prepare<[]>('SELECT COUNT(*) FROM projects').pluck(),
    orgs: db.prepare<[]>('SELECT COUNT(*) FROM orgs').pluck(),
    audit: db.prepare<[]>('SELECT COALESCE(SUM(head_seq - anchor_seq), 0) FROM audit_chains').pluck(),
    webhooks: db.prepare<[string]>('SELECT COUNT(*) FROM webhook_payloads WHERE received_at >= ?').pluck(),
  };
  const inOrg = {
    agents: db.prepare<[string]>('SELECT status, COUNT(*) FROM agents WHERE org_id = ? GROUP BY status').raw(),
    projects: db.prepare<[string]>('SELECT COUNT(*) FROM projects WHERE org_id = ?').pluck(),
    orgs: db.prepare<[string]>('SELECT COUNT(*) FROM orgs WHERE id = ?').pluck(),
    audit: db.prepare<[string]>('SELECT COALESCE(SUM(head_seq - anchor_seq), 0) FROM audit_chains WHERE org_id = ?').pluck(),
    webhooks: db.prepare<[string, string]>('SELECT COUNT(*) FROM webhook_receipts WHERE org_id = ? AND received_at >= ?').pluck(),
  };

  // One read transaction: the counts describe a single moment, not five.
  const read = db.transaction((orgId: string | null, since: string): StatusCounts => {
    const rows = (orgId === null ? all.agents.all() : inOrg.agents.all(orgId)) as Array<[string, number]>;
    return {
      agentsByStatus: Object.fromEntries(rows.map(([status, n]) => [status, count(n)])),
      projects: count(orgId === null ? all.projects.get() : inOrg.projects.get(orgId)),
      orgs: count(orgId === null ? all.orgs.get() : inOrg.orgs.get(orgId)),
      auditEntries: count(orgId === null ? all.audit.get() : inOrg.audit.get(orgId)),
      webhookDeliveries: count(orgId === null ? all.webhooks.get(since) : inOrg.webhooks.get(orgId, since)),
    };
  });

  return {
    counts: async (orgId, since) => read(orgId, since),
  };
}
