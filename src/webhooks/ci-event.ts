import { z } from 'zod';

export const HANDLED_EVENTS = ['workflow_run', 'pull_request', 'push', 'check_run'] as const;
export type HandledEvent = (typeof HANDLED_EVENTS)[number];
export const isHandled = (e: string): e is HandledEvent => (HANDLED_EVENTS as readonly string[]).includes(e);

export interface CIEvent {
  type: HandledEvent;
  repo: string;
  /** null only for a check_run without check_suite.head_branch (each project's default branch applies). */
  branch: string | null;
  status: string | null;
  conclusion: string | null;
  details: string;
}

/** What the reaction rules and lastBuild need beyond the CIEvent itself. */
export interface CIFacts {
  action: string | null;
  /** pull_request: number, title, merged. */
  pr?: { number: number; title: string; merged: boolean };
  /** push: commit messages, newest last. */
  commits?: string[];
  /** workflow_run / check_run: the build result for lastBuild. */
  build?: { workflow: string; sha: string; url: string | null; at: string | null; completed: boolean };
}

export interface Mapped {
  ciEvent: CIEvent;
  facts: CIFacts;
}

const str = z.string();
const nullableStr = z.string().nullable().optional();
const Repository = z.object({ full_name: str });

const WorkflowRun = z.object({
  action: str.optional(),
  repository: Repository,
  workflow: z.object({ name: str.optional() }).nullable().optional(),
  workflow_run: z.object({
    name: str,
    head_branch: str,
    head_sha: str.min(1),
    status: nullableStr,
    conclusion: nullableStr,
    html_url: nullableStr,
    updated_at: nullableStr,
  }),
});

const PullRequest = z.object({
  action: str,
  repository: Repository,
  pull_request: z.object({
    number: z.number().int(),
    title: str,
    state: nullableStr,
    merged: z.boolean().nullable().optional(),
    user: z.object({ login: str }),
    head: z.object({ ref: str }).optional(),
  }),
});

const Push = z.object({
  ref: str,
  repository: Repository,
  pusher: z.object({ name: str.optional() }).optional(),
  head_commit: z
    .object({ message: str, author: z.object({ username: str.optional() }).optional() })
    .nullable()
    .optional(),
  commits: z.array(z.object({ message: str })).optional(),
});

const CheckRun = z.object({
  action: str.optional(),
  repository: Repository,
  check_run: z.object({
    name: str,
    head_sha: str.min(1),
    status: nullableStr,
    conclusion: nullableStr,
    html_url: nullableStr,
    completed_at: nullableStr,
    check_suite: z.object({ head_branch: nullableStr }).nullable().optional(),
  }),
});

const sha7 = (sha: string) => sha.slice(0, 7);
// Stryker disable next-line StringLiteral: split with a limit of 1 always yields one element; the fallback only satisfies the type
const firstLine = (s: string) => s.split(/\r?\n/, 1)[0] ?? '';
const branchOf = (ref: string) => ref.replace(/^refs\/(heads|tags)\//, '');

function workflowVerb(conclusion: string | null | undefined, status: string | null | undefined): string {
  if (conclusion === 'failure') return 'failed';
  if (conclusion === 'success') return 'succeeded';
  return conclusion ?? status ?? 'updated';
}

function checkVerb(conclusion: string | null | undefined, status: string | null | undefined): string {
  if (conclusion === 'success') return 'passed';
  if (conclusion === 'failure') return 'failed';
  return conclusion ?? status ?? 'updated';
}

function mapWorkflowRun(p: z.infer<typeof WorkflowRun>): Mapped {
  const r = p.workflow_run;
  // Some real deliveries carry an empty run name; the workflow's own name is the same thing.
  const name = r.name || (p.workflow?.name ?? '');
  return {
    ciEvent: {
      type: 'workflow_run',
      repo: p.repository.full_name,
      branch: r.head_branch,
      status: r.status ?? null,
      conclusion: r.conclusion ?? null,
      details: `Workflow '${name}' ${workflowVerb(r.conclusion, r.status)} on ${r.head_branch} (${sha7(r.head_sha)})`,
    },
    facts: {
      action: p.action ?? null,
      build: { workflow: name, sha: r.head_sha, url: r.html_url ?? null, at: r.updated_at ?? null, completed: Boolean(r.conclusion) },
    },
  };
}

function mapPullRequest(p: z.infer<typeof PullRequest>): Mapped {
  const pr = p.pull_request;
  const merged = pr.merged === true;
  const verb = p.action === 'closed' && merged ? 'merged' : p.action;
  return {
    ciEvent: {
      type: 'pull_request',
      repo: p.repository.full_name,
      branch: pr.head?.ref ?? null,
      status: pr.state ?? null,
      conclusion: merged ? 'merged' : null,
      details: `PR #${pr.number} '${pr.title}' ${verb} by ${pr.user.login}`,
    },
    facts: { action: p.action, pr: { number: pr.number, title: pr.title, merged } },
  };
}

function mapPush(p: z.infer<typeof Push>): Mapped | undefined {
  const user = p.head_commit?.author?.username || p.pusher?.name;
  if (!user) return undefined;
  const branch = branchOf(p.ref);
  const message = p.head_commit?.message ?? p.commits?.at(-1)?.message ?? '';
  const commits = p.commits?.length ? p.commits.map((c) => c.message) : message ? [message] : [];
  return {
    ciEvent: {
      type: 'push',
      repo: p.repository.full_name,
      branch,
      status: 'pushed',
      conclusion: null,
      // A branch deletion has no head commit, so nothing follows the colon.
      details: message ? `Push to ${branch} by ${user}: ${firstLine(message)}` : `Push to ${branch} by ${user}`,
    },
    facts: { action: null, commits },
  };
}

function mapCheckRun(p: z.infer<typeof CheckRun>): Mapped {
  const c = p.check_run;
  return {
    ciEvent: {
      type: 'check_run',
      repo: p.repository.full_name,
      branch: c.check_suite?.head_branch ?? null,
      status: c.status ?? null,
      conclusion: c.conclusion ?? null,
      details: `Check '${c.name}' ${checkVerb(c.conclusion, c.status)} (${sha7(c.head_sha)})`,
    },
    facts: {
      action: p.action ?? null,
      build: { workflow: c.name, sha: c.head_sha, url: c.html_url ?? null, at: c.completed_at ?? null, completed: Boolean(c.conclusion) },
    },
  };
}

/** The CIEvent of a handled delivery, or undefined when the payload lacks what the mapping needs. */
export function toCIEvent(event: HandledEvent, payload: unknown): Mapped | undefined {
  switch (event) {
    case 'workflow_run': {
      const r = WorkflowRun.safeParse(payload);
      return r.success ? mapWorkflowRun(r.data) : undefined;
    }
    case 'pull_request': {
      const r = PullRequest.safeParse(payload);
      return r.success ? mapPullRequest(r.data) : undefined;
    }
    case 'push': {
      const r = Push.safeParse(payload);
      return r.success ? mapPush(r.data) : undefined;
    }
    case 'check_run': {
      const r = CheckRun.safeParse(payload);
      return r.success ? mapCheckRun(r.data) : undefined;
    }
  }
}
