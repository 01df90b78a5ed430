import { one, stmt, type Queryable } from '../db/postgres/sql.js';
import type { StatusCounts, StatusRepository } from './status.repository.js';

interface Row {
  agents: Record<string, number> | null;
  projects: number;
  orgs: number;
  audit: number;
  webhooks: number;
}

// One statement: its counts come from one snapshot, a single moment (SQLite's twin uses a
// read transaction for the same reason). The audit total comes from the per-org chain
// counters (head minus anchor: retention removes only a prefix), never from a scan.
const S = {
  all: stmt(
    'status:all',
    `SELECT
       (SELECT json_object_agg(status, n) FROM (SELECT status, COUNT(*) AS n FROM agents GROUP BY status) a) AS agents,
       (SELECT COUNT(*) FROM projects) AS projects,
       (SELECT COUNT(*) FROM orgs) AS orgs,
       (SELECT COALESCE(SUM(head_seq - anchor_seq), 0) FROM audit_chains) AS audit,
       (SELECT COUNT(*) FROM webhook_payloads WHERE received_at >= $1) AS webhooks`,
  ),
  inOrg: stmt(
    'status:inOrg',
    `SELECT
       (SELECT json_object_agg(status, n) FROM (SELECT status, COUNT(*) AS n FROM agents WHERE org_id = $1 GROUP BY status) a) AS agents,
       (SELECT COUNT(*) FROM projects WHERE org_id = $1) AS projects,
       (SELECT COUNT(*) FROM orgs WHERE id = $1) AS orgs,
       (SELECT COALESCE(SUM(head_seq - anchor_seq), 0) FROM audit_chains WHERE org_id = $1) AS audit,
       (SELECT COUNT(*) FROM webhook_receipts WHERE org_id = $1 AND received_at >= $2) AS webhooks`,
  ),
};

const count = (v: unknown): number => Number(v ?? 0);

/** PostgreSQL counts behind StatusRepository, the twin of status.sqlite.ts. */
export function createPgStatusRepository(q: Queryable): StatusRepository {
  return {
    async counts(orgId, since): Promise<StatusCounts> {
      const r = orgId === null ? await one<Row>(q, S.all, [since]) : await one<Row>(q, S.inOrg, [orgId, since]);
      return {
        agentsByStatus: Object.fromEntries(Object.entries(r?.agents ?? {}).map(([status, n]) => [status, count(n)])),
        projects: count(r?.projects),
        orgs: count(r?.orgs),
        auditEntries: count(r?.audit),
        webhookDeliveries: count(r?.webhooks),
      };
    },
  };
}
