import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { sendJson, startStub, type Stub, type StubHandler } from '../helpers/stub-server.js';
import type { BuildReportProject, LastBuild, ProjectsBuildPort } from '../../src/scheduler/scheduler.ports.js';

/**
 * The projects domain is not in this branch yet: an in-memory stand-in for its port, holding
 * projects and their lastBuild the way the projects service will.
 */
function projectsPort(list: BuildReportProject[]) {
  const lastBuild = new Map<string, LastBuild>();
  const port: ProjectsBuildPort = {
    listForBuildReport: () => list,
    setLastBuild: (orgId, projectId, build) => {
      if (!list.some((p) => p.orgId === orgId && p.id === projectId)) throw new Error('unknown project');
      lastBuild.set(projectId, build);
    },
  };
  return { port, lastBuild };
}

const run = (over: Record<string, unknown> = {}) => ({
  id: 101,
  name: 'CI',
  head_branch: 'main',
  head_sha: 'abc1234def5678abc1234def5678abc1234def56',
  status: 'completed',
  conclusion: 'failure',
  html_url: 'https://github.com/acme/api/actions/runs/101',
  created_at: '2026-06-01T11:50:00Z',
  updated_at: '2026-06-01T11:58:00Z',
  ...over,
});

/** GitHub's workflow-runs endpoint, answering per repo from a table. */
const githubRuns = (byRepo: Record<string, unknown[] | number>): StubHandler => (req, res) => {
  const m = /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\?/.exec(req.path);
  const answer = m ? byRepo[`${m[1]}/${m[2]}`] : undefined;
  if (answer === undefined) return sendJson(res, 404, { message: 'Not Found' });
  if (typeof answer === 'number') return sendJson(res, answer, { message: 'error' });
  sendJson(res, 200, { total_count: answer.length, workflow_runs: answer });
};

const PROJECTS: BuildReportProject[] = [
  { orgId: 'default', id: 'proj-aaa111', repo: 'acme/api', defaultBranch: 'main' },
  { orgId: 'org-acme', id: 'proj-bbb222', repo: 'acme/web', defaultBranch: 'trunk' },
];

let stub: Stub;
let t: TestApp;
let projects: ReturnType<typeof projectsPort>;
const make = async (env: Record<string, string> = { GITHUB_TOKEN: 'ghp_test' }) => {
  projects = projectsPort(PROJECTS);
  t = await makeTestApp({ env: { GITHUB_API_URL: stub.url, ...env }, ports: { projects: projects.port } });
};
beforeEach(async () => {
  stub = await startStub(githubRuns({}));
});
afterEach(async () => {
  t.close();
  await stub.close();
});

const runTask = async () => (await t.api().post('/api/scheduler/build-status-report/run').expect(200)).body;

describe('build-status-report', () => {
  it("fills each project's lastBuild from the latest completed run of its default branch", async () => {
    stub.handle(
      githubRuns({
        'acme/api': [run()],
        'acme/web': [run({ name: 'Deploy', head_branch: 'trunk', conclusion: 'success', head_sha: 'f'.repeat(40), html_url: 'https://github.com/acme/web/actions/runs/7', updated_at: '2026-06-01T10:00:00Z' })],
      }),
    );
    await make();
    expect(await runTask()).toMatchObject({ name: 'build-status-report', ok: true, error: null });

    expect(projects.lastBuild.get('proj-aaa111')).toEqual({
      workflow: 'CI',
      branch: 'main',
      conclusion: 'failure',
      sha: 'abc1234def5678abc1234def5678abc1234def56',
      url: 'https://github.com/acme/api/actions/runs/101',
      at: '2026-06-01T11:58:00Z',
    });
    expect(projects.lastBuild.get('proj-bbb222')).toEqual({
      workflow: 'Deploy',
      branch: 'trunk',
      conclusion: 'success',
      sha: 'f'.repeat(40),
      url: 'https://github.com/acme/web/actions/runs/7',
      at: '2026-06-01T10:00:00Z',
    });

    const asked = stub.requests.map((r) => new URL(r.path, stub.url));
    expect(asked.map((u) => u.pathname)).toEqual(['/repos/acme/api/actions/runs', '/repos/acme/web/actions/runs']);
    expect(asked.map((u) => Object.fromEntries(u.searchParams))).toEqual([
      { branch: 'main', status: 'completed', per_page: '1' },
      { branch: 'trunk', status: 'completed', per_page: '1' },
    ]);
    expect(stub.requests[0]!.headers.authorization).toBe('token ghp_test');
  });

  it('leaves lastBuild alone when a branch has no completed run', async () => {
    stub.handle(githubRuns({ 'acme/api': [], 'acme/web': [run({ status: 'in_progress', conclusion: null })] }));
    await make();
    expect(await runTask()).toMatchObject({ ok: true });
    expect(projects.lastBuild.size).toBe(0);
  });

  it('updates the projects it can read and reports the others as the run error', async () => {
    stub.handle(githubRuns({ 'acme/web': [run({ head_branch: 'trunk' })] }));
    await make();
    const body = await runTask();
    expect(body).toMatchObject({ ok: false, error: 'Could not read workflow runs for 1 of 2 projects: acme/api' });
    expect(projects.lastBuild.get('proj-bbb222')).toMatchObject({ branch: 'trunk', conclusion: 'failure' });
    const task = (await t.api().get('/api/scheduler/build-status-report').expect(200)).body;
    expect(task).toMatchObject({ runCount: 1, errors: 1, lastError: 'Could not read workflow runs for 1 of 2 projects: acme/api' });
  });

  it('counts GitHub being down as a failed run', async () => {
    stub.handle(githubRuns({ 'acme/api': 503, 'acme/web': 502 }));
    await make();
    expect(await runTask()).toMatchObject({ ok: false, error: 'Could not read workflow runs for 2 of 2 projects: acme/api, acme/web' });
    expect(projects.lastBuild.size).toBe(0);
  });

  it('is a successful no-op without GITHUB_TOKEN', async () => {
    stub.handle(githubRuns({ 'acme/api': [run()] }));
    await make({});
    expect(await runTask()).toMatchObject({ ok: true, error: null });
    expect(stub.requests).toHaveLength(0);
    expect(projects.lastBuild.size).toBe(0);
  });
});
