import { afterEach, describe, expect, it } from 'vitest';
import { inOrg, makeTestApp, type TestApp } from '../helpers/app.js';

const KEY = 'unit-appends-key-0123456789abcdef';
const DAY = 86_400_000;
let t: TestApp | undefined;
afterEach(() => t?.close());

const append = (app: TestApp, orgId: string, n: number) =>
  app.services.audit.append({ orgId, actorType: 'user', actorId: 'u', action: n % 5 === 0 ? 'deploy' : 'status', metadata: { n } });
const verify = async (app: TestApp, orgId: string) => (await app.api().get('/api/audit/verify').set(inOrg(orgId)).expect(200)).body;

describe('many appends in one unit of work', () => {
  for (const key of [undefined, KEY]) {
    it(`chain correctly across orgs, through a purge in the same unit, and with the key's first seal (${key ? 'sealed' : 'unsealed'})`, async () => {
      t = await makeTestApp({ env: key ? { AUDIT_HMAC_KEY: key } : {} });
      const app = t;
      await app.api().post('/api/orgs').send({ name: 'Beta' }).expect(201);
      // Interleaved: each org's chain is taken up again after the other's.
      await app.deps.engine.uow.run(async () => {
        for (let n = 0; n < 12; n++) await append(app, n % 3 === 0 ? 'org-beta' : 'default', n);
      });
      expect(await verify(app, 'default')).toMatchObject({ valid: true, checked: 8, keyed: key !== undefined, unkeyed: key ? 0 : 8 });
      expect(await verify(app, 'org-beta')).toMatchObject({ valid: true, checked: 5, keyed: key !== undefined, unkeyed: key ? 0 : 5 });
      const entries = (await app.api().get('/api/audit?limit=100&order=asc').set(inOrg('default')).expect(200)).body.entries as Array<{ metadata: { n: number } }>;
      expect(entries.map((e) => e.metadata.n)).toEqual([1, 2, 4, 5, 7, 8, 10, 11]);

      // A year on, in one unit: two appends, the purge of everything older, two more.
      app.deps.clock.advance(400 * DAY);
      await app.deps.engine.uow.run(async () => {
        await append(app, 'default', 100);
        await append(app, 'default', 101);
        expect(await app.services.audit.purgeOlderThan(365)).toMatchObject({ removed: 13 });
        await append(app, 'default', 102);
        await append(app, 'default', 103);
      });
      expect(await verify(app, 'default')).toMatchObject({ valid: true, checked: 4, brokenAt: null, unkeyed: key ? 0 : 4 });
      expect(await verify(app, 'org-beta')).toMatchObject({ valid: true, checked: 0 });
      // And the next unit takes up where this one ended.
      await append(app, 'default', 104);
      expect(await verify(app, 'default')).toMatchObject({ valid: true, checked: 5 });
    });
  }
});
