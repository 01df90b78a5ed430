import supertest from 'supertest';
import { createApp, type BuiltApp } from '../../src/app.js';
import { makeTestDeps, type TestDeps, type TestDepsOptions } from './deps.js';

export interface TestApp extends BuiltApp {
  deps: TestDeps;
  /** supertest bound to the app. */
  api: () => supertest.Agent;
  close: () => void;
}

/** A fresh app over a fresh database; close() releases the database. */
export function makeTestApp(opts: TestDepsOptions = {}): TestApp {
  const deps = makeTestDeps(opts);
  const built = createApp(deps);
  return {
    ...built,
    deps,
    api: () => supertest.agent(built.app),
    close: () => {
      if (deps.db.open) deps.db.close();
    },
  };
}

/** Headers for a JSON request in an org, as a given actor. */
export const inOrg = (orgId: string, actor?: string): Record<string, string> => ({
  'x-org-id': orgId,
  ...(actor ? { 'x-actor-id': actor } : {}),
});
