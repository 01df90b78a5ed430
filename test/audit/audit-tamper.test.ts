import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { inOrg, type TestApp } from '../helpers/app.js';
import { allEntries } from '../helpers/audit.js';
import { attack, serve, tempFolder, verify } from './tamper-support.js';

// Every test: a trail written through the API, the server stopped, the database FILE edited
// by an attacker's own connection (triggers dropped), a new server over the same file.

const folder = tempFolder();
afterAll(() => folder.remove());
let t: TestApp | undefined;
afterEach(() => t?.close());

interface Trail {
  file: string;
  /** org-acme's entries in chain order, by what they record. */
  orgCreate: Entry;
  agentCreate: Entry;
  autonomyChange: Entry;
  suspend: Entry;
  resume: Entry;
  count: number;
}
type Entry = { id: string; action: string; actorId: string; projectId: string | null; risk: string };

async function writeTrail(): Promise<Trail> {
  const file = folder.file();
  const app = await serve(file);
  try {
    await app.api().post('/api/orgs').send({ name: 'Acme' }).expect(201);
    await app.api().post('/api/orgs').send({ name: 'Globex' }).expect(201);
    const acme = inOrg('org-acme');
    const project = (await app.api().post('/api/projects').set(acme).send({ repo: 'acme/widget' }).expect(201)).body as { id: string; agentId: string };
    // Entries of another org in between, as in any busy instance.
    await app.api().post('/api/agents').send({ name: 'Elsewhere', type: 'task' }).expect(201);
    const worker = (await app.api().post('/api/agents').set(acme).send({ name: 'Worker', type: 'task' }).expect(201)).body as { id: string };
    await app.api().post(`/api/agents/${project.agentId}/action`).set(acme).send({ action: 'set_autonomy', params: { level: 4 } }).expect(200);
    await app.api().post(`/api/agents/${worker.id}/action`).set(inOrg('org-acme', 'ops:alice')).send({ action: 'suspend' }).expect(200);
    await app.api().post(`/api/agents/${worker.id}/action`).set(acme).send({ action: 'resume' }).expect(200);
    const entries = (await allEntries(app, 'org-acme')) as unknown as Entry[];
    const find = (action: string) => entries.find((e) => e.action === action)!;
    expect(await verify(app, 'org-acme')).toMatchObject({ valid: true, checked: entries.length });
    return { file, orgCreate: find('org_create'), agentCreate: find('agent_create'), autonomyChange: find('autonomy_change'), suspend: find('suspend'), resume: find('resume'), count: entries.length };
  } finally {
    app.close();
  }
}

const FORGED_ID = 'aud-forged-0000000000000';

type Edit = (db: Database.Database, victim: Entry) => void;
const set = (assignments: string, ...args: unknown[]): Edit => (db, v) => db.prepare(`UPDATE audit_entries SET ${assignments} WHERE id = ?`).run(...args, v.id);

/** What was changed, which entry, how, and how many of org-acme's entries verify still reads. */
const CASES: Array<[string, (t: Trail) => Entry, Edit, 'stays' | 'leaves']> = [
  ['id', (t) => t.suspend, set(`id = '${FORGED_ID}'`), 'stays'],
  ['orgId (to another org)', (t) => t.suspend, set("org_id = 'org-globex'"), 'leaves'],
  ['orgId (to an org that does not exist)', (t) => t.suspend, set("org_id = 'org-ghost'"), 'leaves'],
  ['global position (seq)', (t) => t.suspend, set('seq = (SELECT MAX(seq) FROM audit_entries) + 100'), 'stays'],
  ['chain position (chain_seq)', (t) => t.agentCreate, set('chain_seq = 1000'), 'stays'],
  ['projectId: set → null', (t) => t.autonomyChange, set('project_id = NULL'), 'stays'],
  ['projectId: null → empty string', (t) => t.agentCreate, set("project_id = ''"), 'stays'],
  ['projectId: another project', (t) => t.autonomyChange, set("project_id = 'proj-other'"), 'stays'],
  ['risk: high → low', (t) => t.autonomyChange, set("risk = 'low'"), 'stays'],
  ['timestamp', (t) => t.suspend, set("timestamp = '2020-01-01T00:00:00.000Z'"), 'stays'],
  ['actorType', (t) => t.suspend, set("actor_type = 'system'"), 'stays'],
  ['actorId', (t) => t.suspend, set("actor_id = 'ops:mallory'"), 'stays'],
  ['action', (t) => t.suspend, set("action = 'resume'"), 'stays'],
  ['result', (t) => t.suspend, set("result = 'failed'"), 'stays'],
  ['metadata', (t) => t.suspend, set(`metadata = '{"agentId":"agent-other"}'`), 'stays'],
  ['hash', (t) => t.suspend, set("hash = 'sha256:' || printf('%064d', 0)"), 'stays'],
  ["the newest entry's digest", (t) => t.resume, set("digest = printf('%064d', 7)"), 'stays'],
  ['boundary shift: actorId api + action autonomy_change → apiautonomy + _change', (t) => t.autonomyChange, set("actor_id = 'apiautonomy', action = '_change'"), 'stays'],
  ['the first entry of the chain', (t) => t.orgCreate, set("result = 'failed'"), 'stays'],
];

describe('GET /api/audit/verify after the database file was edited with the server stopped', () => {
  it.each(CASES)('detects a changed %s, pointing at that entry', async (what, pick, edit, place) => {
    const trail = await writeTrail();
    const victim = pick(trail);
    attack(trail.file, (db) => edit(db, victim));
    t = await serve(trail.file);
    const checked = place === 'stays' ? trail.count : trail.count - 1;
    // The entry is named by the id it has now (the changed one, when the id was changed).
    const brokenAt = what === 'id' ? FORGED_ID : victim.id;
    expect(await verify(t, 'org-acme')).toEqual({ valid: false, checked, brokenAt, keyed: false, unkeyed: checked });
    const all = await verify(t);
    expect(all.valid).toBe(false);
    expect(all.orgs).toContainEqual({ orgId: 'org-acme', valid: false, checked, brokenAt, unkeyed: checked });
    expect(all.orgs).toContainEqual({ orgId: 'default', valid: true, checked: 1, brokenAt: null, unkeyed: 1 });
  });

  it('reports an entry moved into another chain in that chain too', async () => {
    const trail = await writeTrail();
    attack(trail.file, (db) => set("org_id = 'org-globex'")(db, trail.suspend));
    t = await serve(trail.file);
    expect(await verify(t, 'org-globex')).toMatchObject({ valid: false, checked: 2, brokenAt: trail.suspend.id });
  });

  it('does not report a digest changed alone in the middle of a chain: it records nothing, and the chain still adds up', async () => {
    const trail = await writeTrail();
    attack(trail.file, (db) => set("digest = printf('%064d', 7)")(db, trail.suspend));
    t = await serve(trail.file);
    expect(await verify(t, 'org-acme')).toEqual({ valid: true, checked: trail.count, brokenAt: null, keyed: false, unkeyed: trail.count });
  });

  it('answers valid for the untouched trail over the same file', async () => {
    const trail = await writeTrail();
    t = await serve(trail.file);
    expect(await verify(t, 'org-acme')).toEqual({ valid: true, checked: trail.count, brokenAt: null, keyed: false, unkeyed: trail.count });
  });
});
