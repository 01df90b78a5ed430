/** Raw counts in one scope; the service shapes them into the status answer. */
export interface StatusCounts {
  /** Agents per status, only statuses that have any. */
  agentsByStatus: Record<string, number>;
  projects: number;
  orgs: number;
  auditEntries: number;
  webhookDeliveries: number;
}

/**
 * What GET /api/status counts, behind one async interface so each storage engine supplies
 * its own implementation (SQLite beside this file; PostgreSQL its twin).
 */
export interface StatusRepository {
  /**
   * Counts in one org (`orgId`), or across every org (`null`), read from one snapshot.
   * Webhook deliveries count from `since` (an ISO time): in an org, the deliveries that
   * reached it (as GET /api/webhooks counts them); across orgs, every delivery the server
   * accepted at any URL (one delivery reaching two orgs counts once).
   */
  counts(orgId: string | null, since: string): Promise<StatusCounts>;
}
