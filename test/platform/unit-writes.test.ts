import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inOrg, makeTestApp, type TestApp } from '../helpers/app.js';
import { column, countRows, execSql, tableSnapshot } from '../helpers/engine-db.js';

/**
 * Writes inside one unit of work, as the services make them. On PostgreSQL a unit holds back
 * the writes that need no answer (audit entries, memory documents, an agent's last activity)
 * and sends them together; none of that may show: a unit reads what it wrote, a refused write
 * undoes the whole unit, and what commits is what separate statements would have left.
 */
let t: TestApp;
beforeEach(async () => {
  t = await makeTestApp();
});
afterEach(() => t.close());

const uow = () => t.deps.engine.uow;
const createAgent = async (name: string) => (await t.api().post('/api/agents').send({ name, type: 'task' }).expect(201)).body.id as string;
const append = (orgId: string, action: string, n: number) =>
  t.services.audit.append({ orgId, actorType: 'user', actorId: 'u', action, metadata: { n } });
const doc = (text: string) => t.services.memory.addDocument({ orgId: 'default', projectId: null, source: 'test', text });

describe('writes in one unit of work', () => {
  it('are read back by the same unit: entries, documents and last activity', async () => {
    const agentId = await createAgent('reader');
    const before = await countRows(t, 'audit_entries');
    const seen = await uow().run(async () => {
      await append('default', 'status', 1);
      await doc('remember this');
      t.deps.clock.advance(60_000);
      await t.services.agents.touch(agentId);
      const touchedAt = t.deps.clock.now().toISOString();
      await append('default', 'deploy', 2);
      return {
        entries: (await t.services.audit.query({ orgId: 'default' }, { limit: 100 })).entries.map((e) => e.metadata),
        memory: (await t.services.memory.stats({ orgId: 'default' })).vectorStore.totalEmbeddings,
        lastActivity: (await t.services.agents.byId(agentId))?.lastActivity,
        touchedAt,
      };
    });
    expect(seen.entries.slice(0, 2)).toEqual([{ n: 2 }, { n: 1 }]);
    expect(seen.memory).toBe(1);
    expect(seen.lastActivity).toBe(seen.touchedAt);
    expect(await countRows(t, 'audit_entries')).toBe(before + 2);
  });

  it('leave, across orgs and risks, the chains and risk counts separate statements leave', async () => {
    await t.api().post('/api/orgs').send({ name: 'Beta' }).expect(201);
    const actions = ['status', 'deploy', 'agent.deleted', 'status', 'config.changed', 'deploy'];
    await uow().run(async () => {
      for (let n = 0; n < 18; n++) await append(n % 3 === 0 ? 'org-beta' : 'default', actions[n % actions.length]!, n);
    });
    for (const org of ['default', 'org-beta']) {
      expect((await t.api().get('/api/audit/verify').set(inOrg(org)).expect(200)).body).toMatchObject({ valid: true });
      const all = (await t.api().get('/api/audit?limit=100').set(inOrg(org)).expect(200)).body.entries as Array<{ risk: string }>;
      for (const risk of ['low', 'medium', 'high', 'critical']) {
        const { total } = (await t.api().get(`/api/audit?limit=1&risk=${risk}`).set(inOrg(org)).expect(200)).body;
        expect(total, `${org} ${risk}`).toBe(all.filter((e) => e.risk === risk).length);
      }
    }
    // The next unit takes each chain up where this one left it (the org's creation, six, this one).
    await append('org-beta', 'status', 100);
    expect((await t.api().get('/api/audit/verify').set(inOrg('org-beta')).expect(200)).body).toMatchObject({ valid: true, checked: 8 });
  });

  it('keep the latest of several touches of one agent', async () => {
    const [a, b] = [await createAgent('a'), await createAgent('b')];
    const times: string[] = [];
    await uow().run(async () => {
      for (const id of [a, b, a]) {
        t.deps.clock.advance(1_000);
        times.push(t.deps.clock.now().toISOString());
        await t.services.agents.touch(id);
      }
    });
    expect((await t.services.agents.byId(a))?.lastActivity).toBe(times[2]);
    expect((await t.services.agents.byId(b))?.lastActivity).toBe(times[1]);
  });

  it('are undone whole when the database refuses one of them, even at the commit', async () => {
    if (t.deps.engine.kind === 'sqlite') {
      await execSql(t, "CREATE TRIGGER boom BEFORE INSERT ON memory_documents WHEN NEW.text LIKE '%boom%' BEGIN SELECT RAISE(ABORT, 'boom'); END");
    } else {
      await execSql(t, "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.text LIKE '%boom%' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$");
      await execSql(t, 'CREATE TRIGGER boom BEFORE INSERT ON memory_documents FOR EACH ROW EXECUTE FUNCTION boom()');
    }
    const agentId = await createAgent('kept');
    const before = await tableSnapshot(t);
    // The refused document is the unit's last write: nothing reads after it before the commit.
    const refused = uow().run(async () => {
      await append('default', 'deploy', 1);
      await t.services.agents.touch(agentId);
      await doc('fine');
      await doc('boom');
    });
    await expect(refused).rejects.toThrow(/boom/);
    expect(await tableSnapshot(t)).toEqual(before);
    // The chain is as it was, and the next append goes on from it.
    await append('default', 'status', 2);
    expect((await t.api().get('/api/audit/verify').expect(200)).body).toMatchObject({ valid: true });
    expect(await column<string>(t, "SELECT text FROM memory_documents WHERE text = 'fine'")).toEqual([]);
  });
});
