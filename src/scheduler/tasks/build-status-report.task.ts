import type { Logger } from '../../logger.js';
import type { TaskDefinition } from '../scheduler.service.js';
import type { BuildReportProject, LastBuild, ProjectsBuildPort, WorkflowRun, WorkflowRunsPort } from '../scheduler.ports.js';
import type { BuiltinTaskName } from '../scheduler.catalog.js';

export interface BuildStatusReportDeps {
  /** True when GITHUB_TOKEN is set; without it the task is a successful no-op. */
  hasToken: boolean;
  projects: ProjectsBuildPort;
  github: WorkflowRunsPort;
  logger: Logger;
}

export const toLastBuild = (run: WorkflowRun, branch: string): LastBuild => ({
  workflow: run.name ?? 'workflow',
  branch: run.head_branch ?? branch,
  conclusion: run.conclusion,
  sha: run.head_sha,
  url: run.html_url,
  at: run.updated_at,
});

async function reportOne({ projects, github }: BuildStatusReportDeps, p: BuildReportProject): Promise<boolean> {
  const [owner, repo] = p.repo.split('/') as [string, string];
  const run = await github.latestWorkflowRun(owner, repo, p.defaultBranch);
  // A run still in progress is not a result: the last known one stays.
  if (!run || run.conclusion === null) return false;
  await projects.setLastBuild(p.orgId, p.id, toLastBuild(run, p.defaultBranch));
  return true;
}

/**
 * `build-status-report`: the latest completed workflow run of each project's default branch
 * becomes its `lastBuild`. One project failing does not stop the others; the run is then
 * reported as failed, naming how many projects could not be read.
 */
export function buildStatusReportTask(deps: BuildStatusReportDeps): TaskDefinition {
  return {
    name: 'build-status-report' satisfies BuiltinTaskName,
    schedule: '0 6 * * *',
    intervalMs: 86_400_000,
    builtin: true,
    handler: async () => {
      if (!deps.hasToken) return;
      const list = await deps.projects.listForBuildReport();
      const failed: string[] = [];
      let updated = 0;
      for (const p of list) {
        try {
          if (await reportOne(deps, p)) updated++;
        } catch (err) {
          deps.logger.warn({ err, projectId: p.id, repo: p.repo }, 'build-status-report: could not read workflow runs');
          failed.push(p.repo);
        }
      }
      deps.logger.info({ projects: list.length, updated, failed: failed.length }, 'build-status-report done');
      if (failed.length) throw new Error(`Could not read workflow runs for ${failed.length} of ${list.length} projects: ${failed.join(', ')}`);
    },
  };
}
