import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The suite StrykerJS runs against each mutant (npm run test:mutation): the tests that
 * exercise the mutated modules, not the whole suite. Every HTTP test passes through the
 * org-scope and idempotency middleware, so running them all would multiply the run time
 * without pinning anything more; the ones below are those written about these modules.
 * Tests that start server processes are left out (Stryker's runner uses one thread).
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'test/audit/*.test.ts',
      'test/scheduler/audit-cleanup.test.ts',
      'test/webhooks/ci-event*.test.ts',
      'test/webhooks/reactions.test.ts',
      'test/webhooks/autonomy.test.ts',
      'test/webhooks/responses.test.ts',
      'test/orgs/*.test.ts',
      'test/projects/repo-ref.test.ts',
      'test/projects/projects.link.test.ts',
      'test/platform/tenancy.test.ts',
      'test/platform/org-scope.test.ts',
      'test/reliability/tokens.test.ts',
      'test/reliability/idempotency*.test.ts',
      'test/reliability/access-matrix.test.ts',
      'test/reliability/tenant-matrix.test.ts',
      'test/reliability/tenant-attacks.test.ts',
      'test/platform/operator-guard.test.ts',
      'test/platform/origin-check.test.ts',
      'test/platform/cors.test.ts',
      'test/platform/json-text.test.ts',
      'test/platform/http.test.ts',
      'test/platform/secret-box.test.ts',
      'test/platform/secrets-at-rest.test.ts',
      'test/outbound/*.test.ts',
      'test/channels/configure-url.test.ts',
    ],
  },
});
