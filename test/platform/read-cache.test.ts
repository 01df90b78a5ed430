import { execSql } from '../helpers/engine-db.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp, sqliteOf } from '../helpers/app.js';
import { openTestDb } from '../helpers/deps.js';

let t: TestApp | undefined;
afterEach(() => t?.close());

const names = (body: Array<{ name: string }>) => body.map((a) => a.name);

describe('the read cache of GET routes', () => {
  it('serves what a write through the API changed at once', async () => {
    t = await makeTestApp();
    await t.api().post('/api/agents').send({ name: 'first', type: 'task' }).expect(201);
    expect(names((await t.api().get('/api/agents').expect(200)).body)).toEqual(['first']);
    expect(names((await t.api().get('/api/agents').expect(200)).body)).toEqual(['first']);
    await t.api().post('/api/agents').send({ name: 'second', type: 'task' }).expect(201);
    expect(names((await t.api().get('/api/agents').expect(200)).body)).toEqual(['first', 'second']);
  });

  it('sees a write made underneath the API on the same connection', async () => {
    t = await makeTestApp();
    const { id } = (await t.api().post('/api/agents').send({ name: 'before', type: 'task' }).expect(201)).body;
    await t.api().get(`/api/agents/${id}`).expect(200);
    await execSql(t, "UPDATE agents SET name = 'after' WHERE id = ?", id);
    expect((await t.api().get(`/api/agents/${id}`).expect(200)).body.name).toBe('after');
  });

  it('sees a write committed by another connection to the same file', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cache-')), 'db.sqlite');
    t = await makeTestApp({ db: openTestDb(file) });
    const { id } = (await t.api().post('/api/agents').send({ name: 'before', type: 'task' }).expect(201)).body;
    expect((await t.api().get('/api/agents').expect(200)).body[0].name).toBe('before');
    const other = openTestDb(file);
    other.prepare("UPDATE agents SET name = 'elsewhere' WHERE id = ?").run(id);
    other.close();
    expect((await t.api().get('/api/agents').expect(200)).body[0].name).toBe('elsewhere');
  });

  it('moves with the clock (uptime) even when nothing was written', async () => {
    t = await makeTestApp();
    const { id } = (await t.api().post('/api/agents').send({ name: 'a', type: 'task' }).expect(201)).body;
    expect((await t.api().get(`/api/agents/${id}`).expect(200)).body.uptime).toBe(0);
    t.deps.clock.advance(5_000);
    expect((await t.api().get(`/api/agents/${id}`).expect(200)).body.uptime).toBe(5);
  });

  it('keeps each org scope apart', async () => {
    t = await makeTestApp();
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    await t.api().post('/api/agents').set(inOrg('org-acme')).send({ name: 'acme agent', type: 'task' }).expect(201);
    await t.api().post('/api/agents').send({ name: 'default agent', type: 'task' }).expect(201);
    expect(names((await t.api().get('/api/agents').set(inOrg('org-acme')).expect(200)).body)).toEqual(['acme agent']);
    expect(names((await t.api().get('/api/agents').set(inOrg('default')).expect(200)).body)).toEqual(['default agent']);
    expect(names((await t.api().get('/api/agents').expect(200)).body).sort()).toEqual(['acme agent', 'default agent']);
  });

  it('answers a conditional GET with 304 while nothing changed', async () => {
    t = await makeTestApp();
    await t.api().post('/api/agents').send({ name: 'a', type: 'task' }).expect(201);
    const first = await t.api().get('/api/agents').expect(200);
    expect(first.headers.etag).toMatch(/^W\/"/);
    await t.api().get('/api/agents').set('If-None-Match', first.headers.etag as string).expect(304);
    await t.api().post('/api/agents').send({ name: 'b', type: 'task' }).expect(201);
    await t.api().get('/api/agents').set('If-None-Match', first.headers.etag as string).expect(200);
  });
});
