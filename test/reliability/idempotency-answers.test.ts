import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import express from 'express';
import supertest from 'supertest';
import { createSecretBox } from '../../src/secrets/secret-box.js';
import { idempotency } from '../../src/idempotency/idempotency.middleware.js';
import { createIdempotencySqlite } from '../../src/idempotency/idempotency.sqlite.js';
import { jsonBody } from '../../src/http/body.js';
import { ManualClock } from '../../src/clock.js';
import type { Db } from '../../src/db/open.js';
import { openTestDb } from '../helpers/deps.js';

/**
 * Answers that do not go through res.json: the route registry answers a `status: 204`
 * route with res.end(), and no route of the contract does so yet. The middleware on a
 * small Express app over the real store, with routes of each shape.
 */
let db: Db;
let app: express.Express;
let runs: Record<string, number>;
beforeEach(() => {
  db = openTestDb();
  const clock = new ManualClock('2026-06-01T12:00:00.000Z');
  runs = {};
  const count = (name: string) => {
    runs[name] = (runs[name] ?? 0) + 1;
  };
  app = express();
  app.use(jsonBody('100kb'));
  const store = createIdempotencySqlite(db);
  app.use(idempotency({ store: () => store, clock, box: createSecretBox(undefined) }));
  app.post('/api/empty', (_req, res) => {
    count('empty');
    res.status(204).end();
  });
  app.post('/api/nothing', (_req, res) => {
    count('nothing');
    res.status(200).json(undefined);
  });
});
afterEach(() => db.close());

const send = (path: string) => supertest(app).post(path).set('Idempotency-Key', 'k').send({ n: 1 });

describe('replaying answers sent without a JSON body', () => {
  it('keeps a 204 once it is sent, and replays it exactly: 204, no body, no content type, no ETag', async () => {
    const first = await send('/api/empty').expect(204);
    const again = await send('/api/empty').expect(204);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe('');
    for (const h of ['content-type', 'content-length', 'etag']) expect(again.headers[h], h).toBe(first.headers[h]);
    expect(runs.empty).toBe(1);
  });

  it('replays an empty JSON answer as empty', async () => {
    const first = await send('/api/nothing').expect(200);
    expect(first.text).toBe('');
    const again = await send('/api/nothing').expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe('');
    expect(runs.nothing).toBe(1);
  });
});
