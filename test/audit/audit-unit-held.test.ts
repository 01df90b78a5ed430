import { afterEach, describe, expect, it } from 'vitest';
import { inOrg, makeTestApp, sqliteOf, type TestApp } from '../helpers/app.js';

// The SQLite engine keeps, for the length of one unit of work, the chain heads its own appends
// left and the next global seq, instead of reading them again for every append. These pin
// down that nothing it keeps outlives the transaction it was true in.
let t: TestApp | undefined;
afterEach(() => t?.close());

const append = (app: TestApp, orgId: string, n: number) =>
  app.services.audit.append({ orgId, actorType: 'user', actorId: 'u', action: n % 5 === 0 ? 'deploy' : 'status', metadata: { n } });
const KEY = 'unit-held-key-0123456789abcdef-0123';
const DAY = 86_400_000;
const verify = async (app: TestApp, orgId: string) => (await app.api().get('/api/audit/verify').set(inOrg(orgId)).expect(200)).body;
/** The `n` of the org's entries appended here, oldest first (creating an org records an entry without one). */
const numbers = async (app: TestApp, orgId: string) =>
  ((await app.api().get('/api/audit?limit=100&order=asc').set(inOrg(orgId)).expect(200)).body.entries as Array<{ metadata: { n?: number } }>)
    .map((e) => e.metadata.n)
    .filter((n) => n !== undefined);

describe('SQLite: what a unit of work keeps of its own appends', () => {
  it('is not used by the next unit after a rollback: the chain goes on from what was committed', async () => {
    t = await makeTestApp();
    const app = t;
    await app.api().post('/api/orgs').send({ name: 'Beta' }).expect(201);
    await app.deps.engine.uow.run(async () => {
      for (let n = 1; n <= 3; n++) await append(app, n === 2 ? 'org-beta' : 'default', n);
    });
    const rolledBack = app.deps.engine.uow.run(async () => {
      for (let n = 10; n < 16; n++) await append(app, n % 2 ? 'org-beta' : 'default', n);
      throw new Error('changed my mind');
    });
    await expect(rolledBack).rejects.toThrow('changed my mind');
    await app.deps.engine.uow.run(async () => {
      for (let n = 20; n < 24; n++) await append(app, n % 2 ? 'org-beta' : 'default', n);
    });
    expect(await numbers(app, 'default')).toEqual([1, 3, 20, 22]);
    expect(await numbers(app, 'org-beta')).toEqual([2, 21, 23]);
    expect(await verify(app, 'default')).toMatchObject({ valid: true, checked: 4, brokenAt: null });
    expect(await verify(app, 'org-beta')).toMatchObject({ valid: true, checked: 4, brokenAt: null });
  });

  it('is dropped when one of its writes fails, so a caller that carries on in the unit appends after what the file holds', async () => {
    t = await makeTestApp();
    const app = t;
    for (let n = 1; n <= 2; n++) await append(app, 'default', n);
    // The third statement of the fourth append (its risk count) fails; the entry and the new
    // head it wrote before stay in the transaction, as they would without anything kept.
    sqliteOf(app).exec(`CREATE TEMP TRIGGER fail_fourth BEFORE UPDATE ON audit_risk_counts
      WHEN (SELECT head_seq FROM audit_chains WHERE org_id = 'default') = 4
      BEGIN SELECT RAISE(ABORT, 'injected'); END`);
    await app.deps.engine.uow.run(async () => {
      await append(app, 'default', 3);
      await expect(append(app, 'default', 4)).rejects.toThrow('injected');
      sqliteOf(app).exec('DROP TRIGGER fail_fourth');
      await append(app, 'default', 5);
    });
    expect(await numbers(app, 'default')).toEqual([1, 2, 3, 4, 5]);
    expect(await verify(app, 'default')).toMatchObject({ valid: true, checked: 5, brokenAt: null });
  });

  it('answers, for each chain it holds, exactly the row the file holds: after a new chain, a first seal, more appends and a purge', async () => {
    t = await makeTestApp({ env: { AUDIT_HMAC_KEY: KEY } });
    const app = t;
    await app.api().post('/api/orgs').send({ name: 'Beta' }).expect(201);
    const { uow } = app.deps.engine;
    const same = async (orgId: string) => {
      const audit = uow.current().audit;
      const locked = await audit.lockChainToAppend(orgId);
      expect(locked.chain).toEqual(await audit.chain(orgId));
      return locked.chain!;
    };
    await uow.run(async () => {
      await append(app, 'org-gamma', 1); // a chain begun in this unit
      expect(await same('org-gamma')).toMatchObject({ headSeq: 1, anchorSeq: 0, sealFrom: 1 });
      await append(app, 'org-gamma', 2);
      await append(app, 'default', 3);
      await append(app, 'org-gamma', 4);
      expect(await same('org-gamma')).toMatchObject({ headSeq: 3, sealFrom: 1 });
      expect(await same('default')).toMatchObject({ headSeq: 1, sealFrom: 1 });
    });
    app.deps.clock.advance(400 * DAY);
    await uow.run(async () => {
      await append(app, 'default', 5);
      expect(await app.services.audit.purgeOlderThan(365)).toMatchObject({ removed: 5 });
      expect(await same('default')).toMatchObject({ headSeq: 2, anchorSeq: 1 });
      await append(app, 'default', 6);
      expect(await same('default')).toMatchObject({ headSeq: 3, anchorSeq: 1 });
    });
    expect(await verify(app, 'default')).toMatchObject({ valid: true, checked: 2, brokenAt: null, keyed: true, unkeyed: 0 });
  });
});
