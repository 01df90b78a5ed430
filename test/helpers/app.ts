import supertest from 'supertest';
import { createApp, type BuiltApp } from '../../src/app.js';
import { makeTestDeps, type TestDeps, type TestDepsOptions } from './deps.js';
import type { Db } from '../../src/db/open.js';
import type { SqliteEngine } from '../../src/db/sqlite/engine.js';
import { checkResponse, documentedOperations, violations } from './contract.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;

/** A supertest agent whose every response is checked against the documented contract. */
function checkedAgent(built: BuiltApp): supertest.Agent {
  const agent = supertest.agent(built.app);
  const ops = documentedOperations(built.routes);
  for (const m of METHODS) {
    const original = agent[m].bind(agent) as (url: string) => supertest.Test;
    (agent as unknown as Record<string, unknown>)[m] = (url: string) => {
      const test = original(url);
      test.on('response', (res: { status: number; body: unknown; headers: Record<string, string> }) => {
        const v = checkResponse(ops, m, url, res);
        if (v) violations.push(v);
      });
      return test;
    };
  }
  return agent;
}

export interface TestApp extends BuiltApp {
  deps: TestDeps;
  /** supertest bound to the app. */
  api: () => supertest.Agent;
  close: () => Promise<void>;
}

/** A fresh app over a fresh database; close() releases the database. */
export async function makeTestApp(opts: TestDepsOptions = {}): Promise<TestApp> {
  const deps = await makeTestDeps(opts);
  const built = await createApp(deps);
  return {
    ...built,
    deps,
    api: () => checkedAgent(built),
    close: () => deps.engine.close(),
  };
}

/**
 * The SQLite connection under a test app, for tests about the file itself (tampering, WAL
 * snapshots, migrations, crashes). Those tests are SQLite's own: another engine's run
 * leaves them out (or gives them a twin of its own).
 */
export function sqliteOf(t: { deps: { engine: unknown } }): Db {
  const engine = t.deps.engine as Partial<SqliteEngine>;
  if (engine.kind !== 'sqlite' || !engine.db) throw new Error('this test needs the SQLite engine');
  return engine.db;
}

/** Headers for a JSON request in an org, as a given actor. */
export const inOrg = (orgId: string, actor?: string): Record<string, string> => ({
  'x-org-id': orgId,
  ...(actor ? { 'x-actor-id': actor } : {}),
});
