import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../src/github/github.client.js';
import { AppError } from '../../src/http/errors.js';
import { sendJson, startStub, type Stub } from '../helpers/stub-server.js';

let stub: Stub;
beforeEach(async () => {
  stub = await startStub((_req, res) => sendJson(res, 200, { total_count: 0, workflow_runs: [] }));
});
afterEach(() => stub.close());

const client = (timeoutMs?: number) => createGitHubClient({ baseUrl: stub.url, token: 'ghp_x', timeoutMs });

const failure = async (p: Promise<unknown>): Promise<AppError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
};

describe('createGitHubClient().latestWorkflowRun', () => {
  it('calls GET {baseUrl}/repos/{owner}/{repo}/actions/runs for one completed run of the branch', async () => {
    expect(await client().latestWorkflowRun('acme', 'api', 'release/1.x')).toBeNull();
    const req = stub.requests[0]!;
    expect(req.method).toBe('GET');
    const url = new URL(req.path, stub.url);
    expect(url.pathname).toBe('/repos/acme/api/actions/runs');
    expect(Object.fromEntries(url.searchParams)).toEqual({ branch: 'release/1.x', status: 'completed', per_page: '1' });
    expect(req.headers['user-agent']).toMatch(/^codespar-api/);
  });

  it('reads 404 and 403 as REPO_NOT_FOUND', async () => {
    stub.handle((_req, res) => sendJson(res, 404, { message: 'Not Found' }));
    expect(await failure(client().latestWorkflowRun('a', 'b', 'main'))).toMatchObject({ code: 'REPO_NOT_FOUND', status: 404 });
    stub.handle((_req, res) => sendJson(res, 403, { message: 'Forbidden' }));
    expect(await failure(client().latestWorkflowRun('a', 'b', 'main'))).toMatchObject({ code: 'REPO_NOT_FOUND', status: 404 });
  });

  it('reads 5xx, an unreachable host and a timeout as GITHUB_UNAVAILABLE', async () => {
    stub.handle((_req, res) => sendJson(res, 502, { message: 'Bad Gateway' }));
    expect(await failure(client().latestWorkflowRun('a', 'b', 'main'))).toMatchObject({ code: 'GITHUB_UNAVAILABLE', status: 502 });

    stub.handle(() => {
      // Never answers: only the client's own timeout ends the call.
    });
    expect(await failure(client(100).latestWorkflowRun('a', 'b', 'main'))).toMatchObject({ code: 'GITHUB_UNAVAILABLE', status: 502 });

    await stub.close();
    expect(await failure(client().latestWorkflowRun('a', 'b', 'main'))).toMatchObject({ code: 'GITHUB_UNAVAILABLE', status: 502 });
  });

  it('reads a rejected token as GITHUB_UNAVAILABLE, naming the 401', async () => {
    stub.handle((_req, res) => sendJson(res, 401, { message: 'Bad credentials' }));
    expect(await failure(client().latestWorkflowRun('a', 'b', 'main'))).toMatchObject({ code: 'GITHUB_UNAVAILABLE', message: expect.stringContaining('401') });
  });
});
