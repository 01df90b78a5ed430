import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createPool } from '../../src/db/postgres/pool.js';
import { migratePostgres } from '../../src/db/postgres/migrate.js';
import { startEmbeddedPostgres } from '../helpers/embedded-pg.js';
import { databaseUrl } from '../helpers/pg-url.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A URL with the right to create databases (the server's maintenance database). */
    pgAdminUrl: string;
    /** A migrated, otherwise empty database that test databases are cloned from. */
    pgTemplate: string;
    /** How to clone it fastest on this server (a file copy from PostgreSQL 15 on). */
    pgCloneStrategy: string;
  }
}

/**
 * One PostgreSQL server for the whole run: the embedded one (started here, removed at the
 * end), or TEST_DATABASE_URL's when given. A template database is migrated once; each test
 * app gets its own copy of it (CREATE DATABASE ... TEMPLATE), which is quicker than
 * migrating every time.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.TEST_DATABASE_URL;
  const server = external ? { url: external, stop: async () => undefined } : await startEmbeddedPostgres();
  const template = `codespar_tpl_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.url });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${template} ENCODING 'UTF8' TEMPLATE template0`);
    const version = Number((await admin.query('SHOW server_version_num')).rows[0].server_version_num);
    // WAL_LOG, the default since 15, copies a small database about seven times slower.
    project.provide('pgCloneStrategy', version >= 150000 ? 'STRATEGY FILE_COPY' : '');
    const pool = createPool({ url: databaseUrl(server.url, template), max: 1 });
    try {
      await migratePostgres(pool);
    } finally {
      await pool.end();
    }
  } catch (err) {
    await admin.end().catch(() => undefined);
    await server.stop();
    throw err;
  }
  await admin.end();
  project.provide('pgAdminUrl', server.url);
  project.provide('pgTemplate', template);
  return async () => {
    if (external) {
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await c.end();
    }
    await server.stop();
  };
}
