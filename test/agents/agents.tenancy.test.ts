import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';

describe('org isolation of agents', () => {
  let t: TestApp;
  let acmeAgent: string;
  let globexAgent: string;
  beforeEach(async () => {
    t = await makeTestApp();
    await t.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    await t.api().post('/api/orgs').send({ name: 'Globex' }).expect(201);
    acmeAgent = (await t.api().post('/api/agents').set(inOrg('org-acme')).send({ name: 'A', type: 'task' }).expect(201)).body.id;
    globexAgent = (await t.api().post('/api/agents').set(inOrg('org-globex')).send({ name: 'G', type: 'review' }).expect(201)).body.id;
  });
  afterEach(() => t.close());

  it("lists only the scoped org's agents, and every org's without the header", async () => {
    const acme = await t.api().get('/api/agents').set(inOrg('org-acme')).expect(200);
    expect(acme.body.map((a: { id: string }) => a.id)).toEqual([acmeAgent]);
    const all = await t.api().get('/api/agents').expect(200);
    expect(all.body.map((a: { id: string }) => a.id)).toEqual([acmeAgent, globexAgent]);
    const none = await t.api().get('/api/agents').set(inOrg('default')).expect(200);
    expect(none.body).toEqual([]);
  });

  it("answers 404 for another org's agent on get", async () => {
    const res = await t.api().get(`/api/agents/${globexAgent}`).set(inOrg('org-acme')).expect(404);
    expect(res.body).toEqual({ error: 'Agent not found', code: 'AGENT_NOT_FOUND', status: 404 });
    await t.api().get(`/api/agents/${globexAgent}`).expect(200);
  });

  it("answers 404 for another org's agent on every action and changes nothing", async () => {
    for (const body of [{ action: 'suspend' }, { action: 'resume' }, { action: 'restart' }, { action: 'set_autonomy', params: { level: 5 } }]) {
      const res = await t.api().post(`/api/agents/${globexAgent}/action`).set(inOrg('org-acme')).send(body).expect(404);
      expect(res.body.code).toBe('AGENT_NOT_FOUND');
    }
    const g = await t.api().get(`/api/agents/${globexAgent}`).expect(200);
    expect(g.body).toMatchObject({ status: 'ACTIVE', autonomyLevel: 1 });
    const audit = await t.api().get('/api/audit').query({ actorType: 'user' }).expect(200);
    expect(audit.body.entries.map((e: { action: string }) => e.action).sort()).toEqual(['agent_create', 'agent_create', 'org_create', 'org_create']);
  });

  it("answers 404 for another org's agent on delete and deletes nothing", async () => {
    const res = await t.api().delete(`/api/agents/${globexAgent}`).set(inOrg('org-acme')).expect(404);
    expect(res.body).toEqual({ error: 'Agent not found', code: 'AGENT_NOT_FOUND', status: 404 });
    await t.api().get(`/api/agents/${globexAgent}`).set(inOrg('org-globex')).expect(200);
  });

  it("acts on its own org's agent and records the entry in that org's chain", async () => {
    await t.api().post(`/api/agents/${acmeAgent}/action`).set(inOrg('org-acme', 'alice')).send({ action: 'suspend' }).expect(200);
    const acme = await t.api().get('/api/audit').set(inOrg('org-acme')).query({ action: 'suspend' }).expect(200);
    expect(acme.body.entries).toHaveLength(1);
    expect(acme.body.entries[0]).toMatchObject({ orgId: 'org-acme', actorId: 'alice' });
    const globex = await t.api().get('/api/audit').set(inOrg('org-globex')).query({ action: 'suspend' }).expect(200);
    expect(globex.body.entries).toEqual([]);
  });

  it('acts on any org agent without the header (operator view)', async () => {
    await t.api().post(`/api/agents/${globexAgent}/action`).send({ action: 'suspend' }).expect(200);
    await t.api().delete(`/api/agents/${acmeAgent}`).expect(200);
    const verify = await t.api().get('/api/audit/verify').expect(200);
    expect(verify.body.valid).toBe(true);
  });
});

describe('persistence of agent state', () => {
  it('keeps status and autonomy for a new server over the same database', async () => {
    const first = await makeTestApp();
    let suspended: string;
    let tuned: string;
    try {
      suspended = (await first.api().post('/api/agents').send({ name: 'S', type: 'task' }).expect(201)).body.id;
      tuned = (await first.api().post('/api/agents').send({ name: 'T', type: 'deploy' }).expect(201)).body.id;
      await first.api().post(`/api/agents/${suspended}/action`).send({ action: 'suspend' }).expect(200);
      await first.api().post(`/api/agents/${tuned}/action`).send({ action: 'set_autonomy', params: { level: 4 } }).expect(200);
    } catch (err) {
      await first.close();
      throw err;
    }

    // Services built afresh read everything back from the database; closing it closes both.
    const second = await makeTestApp({ engine: first.deps.engine });
    try {
      expect((await second.api().get(`/api/agents/${suspended}`).expect(200)).body).toMatchObject({ status: 'SUSPENDED', autonomyLevel: 1 });
      expect((await second.api().get(`/api/agents/${tuned}`).expect(200)).body).toMatchObject({ status: 'ACTIVE', autonomyLevel: 4 });
      const audit = await second.api().get('/api/audit').query({ order: 'asc' }).expect(200);
      expect(audit.body.entries.map((e: { action: string }) => e.action)).toEqual(['agent_create', 'agent_create', 'suspend', 'autonomy_change']);
      expect((await second.api().get('/api/audit/verify').expect(200)).body.valid).toBe(true);
    } finally {
      await second.close();
    }
  });
});

describe('concurrent set_autonomy', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
  });
  afterEach(() => t.close());

  it('leaves 50 concurrent changes at one requested level, with 50 entries and a valid chain', async () => {
    const id = (await t.api().post('/api/agents').send({ name: 'Busy', type: 'task' }).expect(201)).body.id;
    const levels = Array.from({ length: 50 }, (_, i) => i % 6);
    const answers = await Promise.all(
      levels.map((level) => t.api().post(`/api/agents/${id}/action`).set('x-actor-id', `ci:${level}`).send({ action: 'set_autonomy', params: { level } })),
    );
    expect(answers.map((r) => r.status)).toEqual(levels.map(() => 200));

    const final = (await t.api().get(`/api/agents/${id}`).expect(200)).body.autonomyLevel;
    expect(levels).toContain(final);

    const audit = await t.api().get('/api/audit').query({ action: 'autonomy_change', limit: '100', order: 'asc' }).expect(200);
    expect(audit.body.total).toBe(50);
    const entries = audit.body.entries as Array<{ metadata: { previousLevel: number; newLevel: number } }>;
    // Each change saw the one before it: the levels form one unbroken sequence.
    entries.forEach((e, i) => expect(e.metadata.previousLevel).toBe(i === 0 ? 1 : entries[i - 1]!.metadata.newLevel));
    expect(entries.at(-1)!.metadata.newLevel).toBe(final);

    const verify = await t.api().get('/api/audit/verify').set('x-org-id', 'default').expect(200);
    expect(verify.body).toEqual({ valid: true, checked: 51, brokenAt: null, keyed: false, unkeyed: 51 });
  });
});
