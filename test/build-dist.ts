import { buildServer } from './reliability/server-process.js';

/**
 * Compiles src/ to dist/ once, before any test worker starts. The tests that run the server
 * as a process (`node dist/server.js`) used to compile in their own beforeAll; with several
 * workers, one file's tsc rewrote dist/ while another file's server was loading it, and the
 * server failed to start on a half-written module. Listed in both projects; the flag keeps
 * it to one build per run, and tells the workers (forked after this, with this environment)
 * that their buildServer() has nothing left to do.
 */
export default function setup(): void {
  if (process.env.CODESPAR_TEST_DIST_BUILT === '1') return;
  buildServer();
  process.env.CODESPAR_TEST_DIST_BUILT = '1';
}
