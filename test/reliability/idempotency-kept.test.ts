import { afterEach, describe, expect, it } from 'vitest';
import express from 'express';
import supertest from 'supertest';
import { createSecretBox } from '../../src/secrets/secret-box.js';
import { idempotency } from '../../src/idempotency/idempotency.middleware.js';
import { createIdempotencySqlite } from '../../src/idempotency/idempotency.sqlite.js';
import { jsonBody } from '../../src/http/body.js';
import { ManualClock } from '../../src/clock.js';
import type { Db } from '../../src/db/open.js';
import { makeTestApp, inOrg, type TestApp } from '../helpers/app.js';
import { column } from '../helpers/engine-db.js';
import { openTestDb } from '../helpers/deps.js';
import { createOrg } from './support.js';

/** How a kept answer is stored, and what the wrapped res.json does besides keeping it. */
const SECRETS_KEY = 'k'.repeat(24) + '-kept-answers';
let t: TestApp | undefined;
let db: Db | undefined;
afterEach(() => {
  t?.close();
  db?.close();
  t = db = undefined;
});

const keptBody = async (app: TestApp, key: string) => (await column<string>(app, `SELECT body FROM idempotency_keys WHERE key = '${key}'`))[0]!;

describe('a kept answer at rest', () => {
  it('is sealed for its org and key when it shows a secret, and kept as sent otherwise', async () => {
    t = await makeTestApp({ env: { SECRETS_KEY } });
    const org = await createOrg(t, 'Acme');
    const rotate = () => t!.api().post('/api/webhooks/secret').set({ ...inOrg(org), 'Idempotency-Key': 'rotate-1' }).expect(201);
    const { secret } = (await rotate()).body as { secret: string };
    const sealed = await keptBody(t, 'rotate-1');
    expect(sealed).not.toContain(secret);
    const box = createSecretBox(SECRETS_KEY);
    expect(JSON.parse(box.open(sealed, `idempotency:${org}:rotate-1`)).secret).toBe(secret);
    // Bound to its place: under another key or org it does not open.
    for (const context of [`idempotency:${org}:rotate-2`, `idempotency:*:rotate-1`]) expect(() => box.open(sealed, context)).toThrow();
    expect((await rotate()).body.secret).toBe(secret);

    const agent = await t.api().post('/api/agents').set({ ...inOrg(org), 'Idempotency-Key': 'agent-1' }).send({ name: 'bot', type: 'task' }).expect(201);
    expect(await keptBody(t, 'agent-1')).toBe(agent.text);
  });
});

/** The middleware over the real store on a small Express app. */
function smallApp(routes: (app: express.Express, breakStore: () => void) => void) {
  db = openTestDb();
  const store = createIdempotencySqlite(db);
  let broken = false;
  const app = express();
  app.use(jsonBody('100kb'));
  const storeOf = () => {
    if (broken) throw new Error('store gone');
    return store;
  };
  app.use(idempotency({ store: storeOf, clock: new ManualClock('2026-06-01T12:00:00.000Z'), box: createSecretBox(undefined) }));
  routes(app, () => (broken = true));
  return app;
}

describe('the wrapped res.json', () => {
  it("keeps a content type the handler set, as Express's res.json does, and sets JSON's otherwise", async () => {
    const app = smallApp((a) => {
      a.post('/api/problem', (_req, res) => void res.type('application/problem+json').status(409).json({ title: 'no' }));
      a.post('/api/plain', (_req, res) => void res.status(201).json({ ok: true }));
    });
    const problem = await supertest(app).post('/api/problem').set('Idempotency-Key', 'p').send({}).expect(409);
    expect(problem.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const plain = await supertest(app).post('/api/plain').set('Idempotency-Key', 'q').send({}).expect(201);
    expect(plain.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('drops the connection, rather than leaving the client waiting, when the answer cannot be kept or sent', async () => {
    const app = smallApp((a, breakStore) =>
      a.post('/api/run', (_req, res) => {
        breakStore();
        res.status(201).json({ ok: true });
      }),
    );
    const err = await supertest(app).post('/api/run').set('Idempotency-Key', 'r').send({}).timeout(5_000).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(err?.code).toBe('ECONNRESET');
  });
});
