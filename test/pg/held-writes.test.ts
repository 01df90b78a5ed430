import { afterEach, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { pgRepositories } from '../../src/db/postgres/engine.js';
import { pastHeldWrites, unitConnection } from '../../src/db/postgres/held-writes.js';
import { scalar, stmt } from '../../src/db/postgres/sql.js';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { tableSnapshot } from '../helpers/engine-db.js';
import { migratedDatabase, onCleanup, pool } from './support.js';

/** A real connection that notes the statements sent through it (their names, or their text). */
async function notedConnection(url: string): Promise<{ client: pg.PoolClient; sent: string[]; noting: Pick<pg.PoolClient, 'query'> }> {
  const client = await pool(url).connect();
  onCleanup(async () => client.release());
  const sent: string[] = [];
  const noting = {
    query: ((...args: unknown[]) => {
      const a = args[0] as string | { name?: string; text: string };
      sent.push(typeof a === 'string' ? a : (a.name ?? a.text));
      return (client.query as (...x: unknown[]) => unknown)(...args);
    }) as pg.PoolClient['query'],
  };
  return { client, sent, noting };
}

/** A fresh database, a noted connection in a transaction, and repositories bound to it as a unit's are. */
async function openUnit() {
  const db = await migratedDatabase();
  const { client, sent, noting } = await notedConnection(db.url);
  const conn = unitConnection(noting);
  const repos = pgRepositories(conn, true);
  await client.query('BEGIN');
  return { client, sent, conn, repos };
}

const doc = (i: number, text = `doc ${i}`) => ({
  id: `mem_${i}`,
  orgId: 'default',
  projectId: null,
  source: 'test',
  text,
  embedding: Buffer.from([i, 0, 0, 63]),
  createdAt: `2026-11-30T12:00:0${i}.000Z`,
});

describe("a unit's held writes (PostgreSQL)", () => {
  it('go out as one statement per kind, before the next statement the unit sends, in the order they were made', async () => {
    const { client, sent, conn, repos } = await openUnit();
    for (let i = 1; i <= 5; i++) await repos.memory.insertDocument(doc(i));
    for (const at of ['2026-11-30T12:00:01.000Z', '2026-11-30T12:00:02.000Z']) await repos.agents.touch('agt_missing', at);
    expect(sent).toEqual([]);
    const stats = await repos.memory.docStats({ orgId: 'default', projectId: null });
    expect(stats.count).toBe(5);
    expect(sent.slice(0, 2)).toEqual(['mem:insertDocs', 'agents:touchMany']);
    expect(sent).toHaveLength(3);
    const { rows } = await client.query<{ id: string; embedding: Buffer }>('SELECT id, embedding FROM memory_documents ORDER BY seq');
    expect(rows.map((r) => r.id)).toEqual(['mem_1', 'mem_2', 'mem_3', 'mem_4', 'mem_5']);
    expect(rows[2]!.embedding).toEqual(Buffer.from([3, 0, 0, 63]));
    // Nothing held: flushing sends nothing; one held row goes out in the one-row statement.
    await conn.flush();
    expect(sent).toHaveLength(3);
    await repos.memory.insertDocument(doc(6));
    await conn.flush();
    expect(sent.slice(3)).toEqual(['mem:insertDoc']);
    await client.query('ROLLBACK');
  });

  it('stay held while a statement marked as reading none of their tables goes out', async () => {
    const { client, sent, conn, repos } = await openUnit();
    const past = pastHeldWrites(stmt('test:past', 'SELECT 41 + $1::int'));
    await repos.memory.insertDocument(doc(1));
    await repos.memory.insertDocument(doc(2));
    expect(await scalar<number>(conn, past, [1])).toBe(42);
    expect(sent).toEqual(['test:past']);
    // Any other statement still sends them first.
    expect(await scalar<number>(conn, stmt('test:count', 'SELECT COUNT(*) FROM memory_documents'))).toBe(2);
    expect(sent).toEqual(['test:past', 'mem:insertDocs', 'test:count']);
    await client.query('ROLLBACK');
  });

  it('are all sent by a flush, including those held while it was sending, and refused once the unit has ended', async () => {
    const { client, sent, conn, repos } = await openUnit();
    await repos.memory.insertDocument(doc(1));
    const flushed = conn.flush();
    // Held while the first statement is on its way.
    await repos.agents.touch('agt_missing', '2026-11-30T12:00:01.000Z');
    await flushed;
    expect(sent).toEqual(['mem:insertDoc', 'agents:touch']);
    await client.query('ROLLBACK');
    conn.end();
    await expect(repos.memory.insertDocument(doc(2))).rejects.toThrow(/after its unit of work ended/);
    expect(sent).toHaveLength(2);
  });

  it('are written at once outside a unit', async () => {
    const db = await migratedDatabase();
    const { sent, noting } = await notedConnection(db.url);
    const repos = pgRepositories(noting);
    await repos.memory.insertDocument(doc(1));
    expect(sent).toEqual(['mem:insertDoc']);
  });

  let t: TestApp | undefined;
  afterEach(() => t?.close());

  it('refuse text with the NUL character when it is written, and the unit stores nothing', async () => {
    t = await makeTestApp();
    const app = t;
    const before = await tableSnapshot(app);
    const refused = app.deps.engine.uow.run(async () => {
      await app.services.audit.append({ orgId: 'default', actorType: 'user', actorId: 'u', action: 'status', metadata: {} });
      await app.services.memory.addDocument({ orgId: 'default', projectId: null, source: 'test', text: 'nul \u0000 inside' });
    });
    await expect(refused).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await tableSnapshot(app)).toEqual(before);
  });
});
