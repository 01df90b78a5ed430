import { Octokit } from '@octokit/rest';
import type { Logger } from '../logger.js';

export interface GithubClientOptions {
  /** GITHUB_API_URL: api.github.com, a GitHub Enterprise URL, or a local stub in tests. */
  baseUrl: string;
  token?: string;
  /** Limit on one request, response body included. */
  timeoutMs?: number;
  logger?: Logger;
}

/** Why a GitHub call failed, in the terms callers decide on. */
export type GithubFailure = 'not_found' | 'unavailable' | 'rejected';

export class GithubError extends Error {
  constructor(
    readonly kind: GithubFailure,
    readonly status: number | null,
    message: string,
  ) {
    super(message);
    this.name = 'GithubError';
  }
}

export interface GithubWorkflowRun {
  name: string | null;
  head_branch: string | null;
  conclusion: string | null;
  head_sha: string;
  html_url: string;
  updated_at: string;
}

export const DEFAULT_GITHUB_TIMEOUT_MS = 10_000;

/**
 * 404/403 read as "not there or not yours" (GitHub hides private repos behind 404); no
 * answer, a timeout or a 5xx as unavailable; anything else as a refusal.
 */
function toGithubError(err: unknown): GithubError {
  const e = err as { status?: number; response?: unknown; message?: string };
  const status = typeof e.status === 'number' && e.response !== undefined ? e.status : null;
  if (status === 404 || status === 403) return new GithubError('not_found', status, `GitHub answered ${status}`);
  if (status === null || status >= 500) {
    return new GithubError('unavailable', status, status === null ? `GitHub unreachable: ${e.message ?? 'no response'}` : `GitHub answered ${status}`);
  }
  return new GithubError('rejected', status, `GitHub answered ${status}`);
}

export function createGithubClient({ baseUrl, token, timeoutMs = DEFAULT_GITHUB_TIMEOUT_MS, logger }: GithubClientOptions) {
  const octokit = new Octokit({
    baseUrl,
    auth: token,
    userAgent: 'codespar-api',
    log: {
      debug: () => {},
      info: () => {},
      warn: (m: string) => logger?.warn({ component: 'octokit' }, m),
      error: (m: string) => logger?.error({ component: 'octokit' }, m),
    },
  });
  // A fresh signal per call: the timeout covers that request only.
  const request = () => ({ signal: AbortSignal.timeout(timeoutMs) });

  return {
    octokit,
    /** The newest completed workflow run on `branch`, or null when it has none. */
    async latestWorkflowRun(owner: string, repo: string, branch: string): Promise<GithubWorkflowRun | null> {
      try {
        const { data } = await octokit.rest.actions.listWorkflowRunsForRepo({
          owner,
          repo,
          branch,
          status: 'completed',
          per_page: 1,
          request: request(),
        });
        const run = data.workflow_runs[0];
        if (!run) return null;
        return {
          name: run.name ?? null,
          head_branch: run.head_branch,
          conclusion: run.conclusion,
          head_sha: run.head_sha,
          html_url: run.html_url,
          updated_at: run.updated_at,
        };
      } catch (err) {
        throw toGithubError(err);
      }
    },
  };
}

export type GithubClient = ReturnType<typeof createGithubClient>;
