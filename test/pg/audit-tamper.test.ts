import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { inOrg, makeTestApp, type TestApp } from '../helpers/app.js';
import { allEntries } from '../helpers/audit.js';
import { verify } from '../audit/tamper-support.js';
import { createPostgresEngine } from '../../src/db/postgres/engine.js';
import { chainHash, HASH_PREFIX, stripPrefix } from '../../src/audit/audit.hash.js';
import { chainDigest, ENCODING_SQL } from '../../src/audit/audit.digest.js';
import { migratedDatabase } from './support.js';

// The PostgreSQL twin of the SQLite tamper tests: a trail written through the API, then
// rows edited by someone with their own connection to the database who turns the
// append-only triggers off (a superuser's session_replication_role), then a new server
// process (a new engine) over the same database.

const KEY = 'test-audit-hmac-key-0123456789-abcdef';
let apps: TestApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

async function serve(url: string, key?: string): Promise<TestApp> {
  const engine = await createPostgresEngine({ url, poolMax: 2 });
  const app = await makeTestApp({ engine, env: key ? { AUDIT_HMAC_KEY: key } : {} });
  apps.push(app);
  return app;
}

async function attack(url: string, edit: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query('SET LOCAL session_replication_role = replica');
    await edit(c);
    await c.query('COMMIT');
  } finally {
    await c.end();
  }
}

type Entry = { id: string; action: string };
interface Trail {
  url: string;
  first: Entry;
  suspend: Entry;
  autonomyChange: Entry;
  resume: Entry;
  count: number;
}

async function writeTrail(key?: string): Promise<Trail> {
  const { url } = await migratedDatabase();
  const app = await serve(url, key);
  await app.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
  await app.api().post('/api/orgs').send({ name: 'Globex' }).expect(201);
  const acme = inOrg('org-acme');
  const project = (await app.api().post('/api/projects').set(acme).send({ repo: 'acme/widget' }).expect(201)).body as { agentId: string };
  await app.api().post('/api/agents').send({ name: 'Elsewhere', type: 'task' }).expect(201);
  const worker = (await app.api().post('/api/agents').set(acme).send({ name: 'Worker', type: 'task' }).expect(201)).body as { id: string };
  await app.api().post(`/api/agents/${project.agentId}/action`).set(acme).send({ action: 'set_autonomy', params: { level: 4 } }).expect(200);
  await app.api().post(`/api/agents/${worker.id}/action`).set(inOrg('org-acme', 'ops:alice')).send({ action: 'suspend' }).expect(200);
  await app.api().post(`/api/agents/${worker.id}/action`).set(acme).send({ action: 'resume' }).expect(200);
  const entries = (await allEntries(app, 'org-acme')) as unknown as Entry[];
  const find = (action: string) => entries.find((e) => e.action === action)!;
  expect(await verify(app, 'org-acme')).toMatchObject({ valid: true, checked: entries.length });
  return { url, first: entries[0]!, suspend: find('suspend'), autonomyChange: find('autonomy_change'), resume: find('resume'), count: entries.length };
}

const FORGED_ID = 'aud-forged-0000000000000';
const set = (assignments: string) => (c: pg.Client, v: Entry) => c.query(`UPDATE audit_entries SET ${assignments} WHERE id = $1`, [v.id]);

const CASES: Array<[string, (t: Trail) => Entry, string, 'stays' | 'leaves']> = [
  ['id', (t) => t.suspend, `id = '${FORGED_ID}'`, 'stays'],
  ['orgId (to another org)', (t) => t.suspend, "org_id = 'org-globex'", 'leaves'],
  ['global position (seq)', (t) => t.suspend, 'seq = (SELECT MAX(seq) FROM audit_entries) + 100', 'stays'],
  ['projectId: set → null', (t) => t.autonomyChange, 'project_id = NULL', 'stays'],
  ['risk: high → low', (t) => t.autonomyChange, "risk = 'low'", 'stays'],
  ['timestamp', (t) => t.suspend, "timestamp = '2020-01-01T00:00:00.000Z'", 'stays'],
  ['actorId', (t) => t.suspend, "actor_id = 'ops:mallory'", 'stays'],
  ['action', (t) => t.suspend, "action = 'resume'", 'stays'],
  ['metadata', (t) => t.suspend, `metadata = '{"agentId":"agent-other"}'`, 'stays'],
  ['hash', (t) => t.suspend, "hash = 'sha256:' || repeat('0', 64)", 'stays'],
  ["the newest entry's digest", (t) => t.resume, "digest = repeat('7', 64)", 'stays'],
  ['boundary shift: actorId api + action autonomy_change → apiautonomy + _change', (t) => t.autonomyChange, "actor_id = 'apiautonomy', action = '_change'", 'stays'],
];

describe('GET /api/audit/verify on PostgreSQL after rows were edited behind the server', () => {
  it.each(CASES)('detects a changed %s, pointing at that entry', async (what, pick, assignments, place) => {
    const trail = await writeTrail();
    const victim = pick(trail);
    await attack(trail.url, (c) => set(assignments)(c, victim));
    const t = await serve(trail.url);
    const checked = place === 'stays' ? trail.count : trail.count - 1;
    const brokenAt = what === 'id' ? FORGED_ID : victim.id;
    expect(await verify(t, 'org-acme')).toEqual({ valid: false, checked, brokenAt, keyed: false, unkeyed: checked });
  });

  it('answers valid for the untouched trail', async () => {
    const trail = await writeTrail();
    const t = await serve(trail.url);
    expect(await verify(t, 'org-acme')).toEqual({ valid: true, checked: trail.count, brokenAt: null, keyed: false, unkeyed: trail.count });
  });

  it("points at the first entry when the org's chain record was deleted and its entries remain", async () => {
    const trail = await writeTrail();
    await attack(trail.url, (c) => c.query("DELETE FROM audit_chains WHERE org_id = 'org-acme'"));
    const t = await serve(trail.url);
    expect(await verify(t, 'org-acme')).toEqual({ valid: false, checked: trail.count, brokenAt: trail.first.id, keyed: false, unkeyed: trail.count });
  });

  it('points at the newest entry when it was moved to another org and the recorded head was wound back without its hash', async () => {
    const trail = await writeTrail();
    await attack(trail.url, async (c) => {
      await c.query("UPDATE audit_entries SET org_id = 'org-globex', chain_seq = 99 WHERE id = $1", [trail.resume.id]);
      await c.query("UPDATE audit_chains SET head_seq = head_seq - 1 WHERE org_id = 'org-acme'");
    });
    const t = await serve(trail.url);
    expect(await verify(t, 'org-acme')).toEqual({ valid: false, checked: trail.count - 1, brokenAt: trail.resume.id, keyed: false, unkeyed: trail.count - 1 });
  });

  it('with the key, points at an entry edited in place rather than at a seal changed right after it', async () => {
    const trail = await writeTrail(KEY);
    await attack(trail.url, async (c) => {
      await c.query("UPDATE audit_entries SET actor_id = 'ops:mallory' WHERE id = $1", [trail.suspend.id]);
      await c.query(
        "UPDATE audit_entries SET seal = repeat('7', 64) WHERE org_id = 'org-acme' AND chain_seq = (SELECT chain_seq + 1 FROM audit_entries WHERE id = $1)",
        [trail.suspend.id],
      );
    });
    const t = await serve(trail.url, KEY);
    expect(await verify(t, 'org-acme')).toEqual({ valid: false, checked: trail.count, brokenAt: trail.suspend.id, keyed: true, unkeyed: 0 });
  });

  it('with the key, catches a rewrite that recomputed every hash and digest (which verify without the key cannot see)', async () => {
    const trail = await writeTrail(KEY);
    await attack(trail.url, async (c) => {
      await c.query("UPDATE audit_entries SET actor_id = 'ops:mallory' WHERE id = $1", [trail.suspend.id]);
      const { rows } = await c.query(
        `SELECT seq, timestamp, actor_type, actor_id, action, result, metadata, ${ENCODING_SQL} AS enc, chain_seq
         FROM audit_entries WHERE org_id = 'org-acme' ORDER BY chain_seq`,
      );
      let prevHash = HASH_PREFIX + '0'.repeat(64);
      let prevDigest = '0'.repeat(64);
      for (const r of rows) {
        const hash = HASH_PREFIX + chainHash(stripPrefix(prevHash), { timestamp: r.timestamp, actorType: r.actor_type, actorId: r.actor_id, action: r.action, result: r.result, metadataJson: r.metadata });
        await c.query('UPDATE audit_entries SET hash = $1 WHERE seq = $2', [hash, r.seq]);
        const enc = (await c.query(`SELECT ${ENCODING_SQL} AS enc FROM audit_entries WHERE seq = $1`, [r.seq])).rows[0].enc as string;
        const digest = chainDigest(prevDigest, enc);
        await c.query('UPDATE audit_entries SET digest = $1 WHERE seq = $2', [digest, r.seq]);
        prevHash = hash;
        prevDigest = digest;
      }
      await c.query("UPDATE audit_chains SET head_hash = $1, head_digest = $2 WHERE org_id = 'org-acme'", [prevHash, prevDigest]);
    });
    const without = await serve(trail.url);
    expect(await verify(without, 'org-acme')).toMatchObject({ valid: true, keyed: false });
    const keyed = await serve(trail.url, KEY);
    expect(await verify(keyed, 'org-acme')).toEqual({ valid: false, checked: trail.count, brokenAt: trail.suspend.id, keyed: true, unkeyed: 0 });
  });
});
