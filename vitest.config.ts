import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    environment: 'node',
    pool: 'forks',
    // vitest's default is one worker fewer than the cores: one on a two-core machine, where
    // many files spend most of their time waiting on the processes they start (servers,
    // PostgreSQL, Redis, Chromium). Two workers there at least.
    maxWorkers: Math.max(2, os.availableParallelism() - 1),
    testTimeout: 20_000,
    hookTimeout: 20_000,
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['test/**/*.test.ts'], exclude: ['test/pg/**'], globalSetup: ['test/build-dist.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/**/*.test.ts'],
          // SQLite's own by nature; test/pg has the PostgreSQL twins where the behaviour matters
          // on both engines (tampering, server processes and restarts, crash, outages).
          exclude: [
            // upgrades SQLite databases from old schema versions (PostgreSQL starts at its baseline)
            'test/audit/audit-migration.test.ts',
            'test/identity/identity-migration.test.ts',
            // edits the SQLite file behind the server (twin: test/pg/audit-tamper.test.ts)
            'test/audit/audit-tamper.test.ts',
            // server processes over DATABASE_PATH (twins: test/pg/process.test.ts and secrets-startup.test.ts,
            // audit-tamper's seals)
            'test/audit/audit-process.test.ts',
            'test/platform/process.test.ts',
            'test/reliability/secrets-startup.test.ts',
            // SQLite's synchronous chain reads and its WAL read snapshot on a second connection
            // (and the chain heads its unit of work keeps, faults injected with a SQLite trigger)
            'test/audit/audit-unit-held.test.ts',
            'test/audit/audit-verify-quick.test.ts',
            'test/audit/audit-verify-snapshot.test.ts',
            'test/audit/audit-verify-file.test.ts',
            // the database file itself: pragmas, WAL, a file closed and reopened
            'test/platform/database.test.ts',
            'test/webhooks/responses-restart.test.ts',
          ],
          globalSetup: ['test/build-dist.ts', 'test/pg/global-setup.ts'],
          env: { TEST_ENGINE: 'postgres' },
        },
      },
    ],
  },
});
