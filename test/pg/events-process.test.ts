import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, json, startServer, type ServerProcess } from '../reliability/server-process.js';
import { migratedDatabase } from './support.js';
import { openStream, type Stream } from '../events/support.js';

// Live events between real `node dist/server.js` processes over one PostgreSQL database.

const running: ServerProcess[] = [];
const streams: Stream[] = [];
afterEach(async () => {
  streams.splice(0).forEach((s) => s.close());
  for (const s of running.splice(0)) {
    s.child.kill('SIGTERM');
    await s.exited;
  }
});
beforeAll(() => buildServer(), 120_000);

const ENV = { LOG_LEVEL: 'silent', SCHEDULER_ENABLED: 'false', RATE_LIMIT_MAX: '0', DATABASE_POOL_MAX: '3' };

describe('live events across server processes on PostgreSQL', () => {
  it('an event committed on one process reaches streams on the other, audit entries in position order', async () => {
    const db = await migratedDatabase();
    const [one, two] = await Promise.all([startServer({ ...ENV, DATABASE_URL: db.url }), startServer({ ...ENV, DATABASE_URL: db.url })]);
    running.push(one!, two!);
    const onTwo = await openStream(two!.url, '/api/events', { 'x-org-id': 'default' });
    streams.push(onTwo);
    await onTwo.comment(() => true);
    const created = await json(`${one!.url}/api/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'far away', type: 'task' }) });
    expect(created.status).toBe(201);
    const frame = await onTwo.next((f) => f.event === 'agent.created');
    expect(frame.data!.data.id).toBe(created.body.id);
    // Writes on both processes at once: each stream sees every entry once, in position order.
    const writes = [];
    for (let i = 0; i < 10; i++) {
      for (const s of [one!, two!]) {
        writes.push(json(`${s.url}/api/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `w${i}`, type: 'task' }) }));
      }
    }
    await Promise.all(writes);
    const onOne = await openStream(one!.url, '/api/events?lastEventId=0&types=audit.appended', { 'x-org-id': 'default' });
    streams.push(onOne);
    for (const s of [onOne, onTwo]) {
      await s.next(() => s.frames.filter((f) => f.event === 'audit.appended').length >= 21, 10_000);
      const ids = s.frames.filter((f) => f.event === 'audit.appended').map((f) => Number(f.id));
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    }
  });

  it('resumes on another process after the first one is gone, and SIGTERM closes open streams first', async () => {
    const db = await migratedDatabase();
    const one = await startServer({ ...ENV, LOG_LEVEL: 'warn', DATABASE_URL: db.url });
    running.push(one);
    const s = await openStream(one.url, '/api/events', { 'x-org-id': 'default' });
    streams.push(s);
    await json(`${one.url}/api/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'before', type: 'task' }) });
    const last = await s.next((f) => f.event === 'audit.appended');
    one.child.kill('SIGTERM');
    await s.ended;
    expect(await one.exited).toBe(0);
    // The stream did not hold the shutdown until its grace period ran out.
    expect(one.output()).not.toContain('did not finish in time');
    running.splice(running.indexOf(one), 1);

    const two = await startServer({ ...ENV, DATABASE_URL: db.url });
    running.push(two);
    await json(`${two.url}/api/agents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'after', type: 'task' }) });
    const resumed = await openStream(two.url, '/api/events', { 'x-org-id': 'default', 'Last-Event-ID': last.id! });
    streams.push(resumed);
    const next = await resumed.next((f) => f.event === 'audit.appended');
    expect(next.data!.data.metadata).toMatchObject({ name: 'after' });
    expect(Number(next.id)).toBeGreaterThan(Number(last.id));
  });
});
