import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['test/**/*.test.ts'], exclude: ['test/pg/**'] },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/**/*.test.ts'],
          // SQLite's own: they edit or restart over the database file, close its connection, start
          // processes on DATABASE_PATH or upgrade old SQLite schemas. test/pg has the PostgreSQL
          // twins of those that matter on both engines (tampering, processes, outages).
          // The last group is not yet on PostgreSQL (see docs/postgres.md).
          exclude: [
            'test/audit/audit-migration.test.ts',
            'test/audit/audit-tamper.test.ts',
            'test/audit/audit-chain.test.ts',
            'test/audit/audit-process.test.ts',
            'test/audit/audit-verify-quick.test.ts',
            'test/audit/audit-verify-snapshot.test.ts',
            'test/platform/database.test.ts',
            'test/platform/process.test.ts',
            'test/reliability/crash.test.ts',
            'test/reliability/secrets-startup.test.ts',
            'test/reliability/webhook-flood.test.ts',
            'test/agents/agents.tenancy.test.ts',
            'test/identity/identity-tenancy.test.ts',
            'test/channels/channels.test.ts',
            'test/channels/configure-url.test.ts',
            'test/platform/secrets-at-rest.test.ts',
            'test/scheduler/health-check.test.ts',
            'test/webhooks/responses.test.ts',
            'test/reliability/raw-http.test.ts',
          ],
          globalSetup: ['test/pg/global-setup.ts'],
          env: { TEST_ENGINE: 'postgres' },
        },
      },
    ],
  },
});
