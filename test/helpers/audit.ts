import { inOrg, type TestApp } from './app.js';

/** An audit entry as the API returns it (the fields a client verification reads). */
export interface AuditEntryBody {
  id: string;
  timestamp: string;
  actorType: string;
  actorId: string;
  action: string;
  result: string;
  metadata: unknown;
  hash: string;
}

/** Every entry of one org in append order, through the API, 100 per page. */
export async function allEntries(app: TestApp, orgId: string): Promise<AuditEntryBody[]> {
  const out: AuditEntryBody[] = [];
  for (let page = 1; ; page++) {
    const res = await app.api().get(`/api/audit?order=asc&limit=100&page=${page}`).set(inOrg(orgId)).expect(200);
    out.push(...(res.body.entries as AuditEntryBody[]));
    if (!res.body.hasMore) return out;
  }
}

/** Metadata that tests the canonical form: key order, integer-like keys, unicode, dropped undefined. */
export function metadataFor(i: number): Record<string, unknown> {
  const shapes: Array<Record<string, unknown>> = [
    { i },
    { zeta: 1, alpha: 2, '10': 'ten', '2': 'two', i },
    { text: `caf\u00e9 \u{1F680} "quoted" \\ back \u2028 line`, i },
    { nested: { list: [1, 'two', null, { deep: true }], empty: {} }, i },
    { skipped: undefined, kept: null, fn: () => 1, i },
    { when: new Date(Date.UTC(2026, 0, i % 28 + 1)), i },
    { float: 0.1 + 0.2, big: 2 ** 53 - 1, negZero: -0, exp: 1e21, i },
    {},
  ];
  return shapes[i % shapes.length]!;
}

/** n entries one 1.234 s apart, varying every hashed field. */
export async function appendMany(app: TestApp, orgId: string, n: number): Promise<void> {
  const types = ['user', 'agent', 'system'] as const;
  for (let i = 0; i < n; i++) {
    app.deps.clock.advance(1234);
    (await app.services.audit.append({
      orgId,
      actorType: types[i % 3]!,
      actorId: i % 2 ? 'agent-proj-k3x9q2' : 'slack:U1234ABCD',
      action: ['status', 'deploy', 'ci_event', 'instruct'][i % 4]!,
      result: i % 5 === 0 ? 'failed' : 'completed',
      metadata: metadataFor(i),
      projectId: i % 3 ? 'proj-abc' : null,
    }));
  }
}
