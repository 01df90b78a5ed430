import { Octokit } from '@octokit/rest';
import { AppError } from '../http/errors.js';
import type { Logger } from '../logger.js';

export interface RepoInfo {
  fullName: string;
  defaultBranch: string;
}

export interface WorkflowRunInfo {
  name: string;
  branch: string;
  conclusion: string | null;
  status: string | null;
  sha: string;
  url: string;
  at: string;
}

/** GitHub as the domains see it: errors already mapped to the contract's codes. */
export interface GitHubClient {
  /** Whether calls can be made at all (a token is configured). */
  readonly configured: boolean;
  getRepo(owner: string, repo: string): Promise<RepoInfo>;
  createHook(owner: string, repo: string, hook: { url: string; secret?: string; events: string[] }): Promise<{ id: number }>;
  deleteHook(owner: string, repo: string, id: number): Promise<void>;
  latestWorkflowRun(owner: string, repo: string, branch: string): Promise<WorkflowRunInfo | null>;
}

export interface GitHubClientOptions {
  baseUrl: string;
  token?: string;
  /** Per request; 10 s by default. */
  timeoutMs?: number;
  logger?: Logger;
}

const REPO_NOT_FOUND = () => new AppError('REPO_NOT_FOUND', 'Repository not found or insufficient permissions');
const UNAVAILABLE = (why: string) => new AppError('GITHUB_UNAVAILABLE', `GitHub is unavailable: ${why}`);

const statusOf = (err: unknown): number | undefined =>
  typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : undefined;

/** 404/403 → REPO_NOT_FOUND; timeouts, network failures and 5xx → GITHUB_UNAVAILABLE. */
function mapError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const status = statusOf(err);
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return UNAVAILABLE('request timed out');
  if (status === 404 || status === 403) return REPO_NOT_FOUND();
  if (status === 401) return UNAVAILABLE('the token was rejected (401)');
  if (status !== undefined && status >= 400 && status < 500) return UNAVAILABLE(`unexpected answer ${status}`);
  return UNAVAILABLE(status && status !== 500 ? `answered ${status}` : 'no answer');
}

export function createGitHubClient({ baseUrl, token, timeoutMs = 10_000, logger }: GitHubClientOptions): GitHubClient {
  const octokit = new Octokit({
    baseUrl,
    auth: token,
    userAgent: 'codespar-api',
    log: {
      debug: () => {},
      info: () => {},
      warn: (m: string) => logger?.warn({ github: true }, m),
      error: (m: string) => logger?.error({ github: true }, m),
    },
  });
  const opts = () => ({ request: { signal: AbortSignal.timeout(timeoutMs) } });

  async function call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mapError(err);
    }
  }

  return {
    configured: Boolean(token),
    getRepo: (owner, repo) =>
      call(async () => {
        const { data } = await octokit.rest.repos.get({ owner, repo, ...opts() });
        return { fullName: data.full_name, defaultBranch: data.default_branch };
      }),
    createHook: (owner, repo, hook) =>
      call(async () => {
        const { data } = await octokit.rest.repos.createWebhook({
          owner,
          repo,
          name: 'web',
          active: true,
          events: hook.events,
          config: { url: hook.url, content_type: 'json', ...(hook.secret ? { secret: hook.secret } : {}) },
          ...opts(),
        });
        return { id: data.id };
      }),
    deleteHook: (owner, repo, id) =>
      call(async () => {
        await octokit.rest.repos.deleteWebhook({ owner, repo, hook_id: id, ...opts() });
      }),
    latestWorkflowRun: (owner, repo, branch) =>
      call(async () => {
        // Completed runs only: a run in progress is not a result and must not hide the last one.
        const { data } = await octokit.rest.actions.listWorkflowRunsForRepo({ owner, repo, branch, status: 'completed', per_page: 1, ...opts() });
        const run = data.workflow_runs[0];
        if (!run) return null;
        return {
          name: run.name ?? String(run.workflow_id),
          branch: run.head_branch ?? branch,
          conclusion: run.conclusion ?? null,
          status: run.status ?? null,
          sha: run.head_sha,
          url: run.html_url,
          at: run.updated_at,
        };
      }),
  };
}
