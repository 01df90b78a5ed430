import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { createStatusService } from '../../src/status/status.service.js';
import type { StatusCounts, StatusRepository } from '../../src/status/status.repository.js';

/** A repository of another engine, as the service sees it: only the async interface. */
function repository(counts: StatusCounts, seen: Array<[string | null, string]>): () => StatusRepository {
  return () => ({
    counts: async (orgId, since) => {
      seen.push([orgId, since]);
      return counts;
    },
  });
}

describe('the status service (unit)', () => {
  const clock = new ManualClock('2026-06-02T12:00:00.000Z');
  const counts: StatusCounts = { agentsByStatus: { ACTIVE: 2, ERROR: 1, ZOMBIE: 1 }, projects: 4, orgs: 1, auditEntries: 9, webhookDeliveries: 3 };

  it('shapes any engine\'s counts: every known status listed, unknown ones kept, total their sum', async () => {
    const seen: Array<[string | null, string]> = [];
    const service = createStatusService({ repository: repository(counts, seen), engine: 'postgres', clock, version: '1.2.3', startedAt: new Date('2026-06-02T11:59:00.500Z'), agentStatuses: ['ACTIVE', 'IDLE', 'SUSPENDED', 'ERROR'], approvalsPending: async () => 3 });
    expect(await service.status({ orgId: 'org-acme' })).toEqual({
      version: '1.2.3',
      engine: 'postgres',
      uptime: 59,
      agents: { total: 4, byStatus: { ACTIVE: 2, IDLE: 0, SUSPENDED: 0, ERROR: 1, ZOMBIE: 1 } },
      projects: 4,
      orgs: 1,
      auditEntries: 9,
      webhookDeliveries24h: 3,
      approvalsPending: 3,
    });
    expect(seen).toEqual([['org-acme', '2026-06-01T12:00:00.000Z']]);
  });

  it('passes the unscoped caller on as null, and never reports a negative uptime', async () => {
    const seen: Array<[string | null, string]> = [];
    const service = createStatusService({ repository: repository(counts, seen), engine: 'postgres', clock, version: 'v', startedAt: new Date('2026-06-03T00:00:00.000Z'), agentStatuses: [], approvalsPending: async () => 0 });
    expect((await service.status({ orgId: null })).uptime).toBe(0);
    expect(seen[0]![0]).toBeNull();
  });
});
