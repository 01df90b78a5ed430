import { createHash } from 'node:crypto';
import type { Db } from '../../src/db/open.js';
import type { TestApp } from '../helpers/app.js';

/** A promise with its resolve exposed, to hold a stub's answer until the test lets it go. */
export function gate<T = void>(): { promise: Promise<T>; open: (v: T) => void } {
  let open!: (v: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Polls a condition on the event loop (stub requests arrive asynchronously); never a timing assertion. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, tries = 2000, everyMs = 5): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/**
 * Row count and content hash of every table. `idempotency_keys` is left out: it records
 * the answers themselves (a kept 4xx is the feature working, not a change of state).
 */
export function dbSnapshot(db: Db): Record<string, { rows: number; hash: string }> {
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'idempotency_keys' ORDER BY name")
    .all();
  const out: Record<string, { rows: number; hash: string }> = {};
  for (const { name } of tables) {
    const rows = db.prepare(`SELECT * FROM "${name}"`).raw().all() as unknown[][];
    const lines = rows.map((r) => JSON.stringify(r.map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'bigint' ? String(v) : v)))).sort();
    out[name] = { rows: rows.length, hash: createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16) };
  }
  return out;
}

/** The org's audit total, read through the API. */
export async function auditTotal(t: TestApp, orgId: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await t.api().get('/api/audit').set({ 'x-org-id': orgId, ...headers }).expect(200);
  return (res.body as { total: number }).total;
}

export async function createOrg(t: TestApp, name: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await t.api().post('/api/orgs').set(headers).send({ name }).expect(201);
  return (res.body as { id: string }).id;
}
