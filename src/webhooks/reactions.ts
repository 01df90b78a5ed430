import type { AgentStatus, AgentType, StatName } from '../agents/agents.schemas.js';
import type { CIEvent, CIFacts } from './ci-event.js';

export const OUTCOMES = ['ignored', 'notified', 'suggested', 'agent_spawned', 'context_updated', 'agent_suspended', 'recorded'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** What the project agent does about one event. */
export interface Plan {
  outcome: Outcome;
  notify: boolean;
  suggest: boolean;
  spawn?: Extract<AgentType, 'incident' | 'review'>;
  stat?: StatName;
  /** Text to keep in the project's memory. */
  remember?: 'pr_title' | 'commits';
}

export type EventKind =
  | 'workflow_failed'
  | 'workflow_other'
  | 'check_run'
  | 'pr_opened'
  | 'pr_merged'
  | 'pr_other'
  | 'push'
  | 'deploy_failed'
  | 'deploy_succeeded'
  | 'deploy_other';

const plan = (outcome: Outcome, extra: Partial<Plan> = {}): Plan => ({ outcome, notify: false, suggest: false, ...extra });

const IGNORED = plan('ignored');
const RECORDED = plan('recorded');
const NOTIFY = plan('notified', { notify: true });

/** A failed workflow and a failed deploy are one kind of trouble: the agent reacts alike. */
const FAILURE: ReadonlyArray<readonly [number, Plan]> = [
  [3, plan('agent_spawned', { spawn: 'incident', stat: 'incidentsHandled' })],
  [2, plan('suggested', { notify: true, suggest: true })],
  [1, NOTIFY],
  [0, IGNORED],
];

/**
 * The one reaction table, for GitHub deliveries and deploy reports alike: for each kind of
 * event, the plan of the highest threshold the agent's autonomy level reaches (thresholds
 * in descending order).
 */
export const RULES: Record<EventKind, ReadonlyArray<readonly [minLevel: number, plan: Plan]>> = {
  workflow_failed: FAILURE,
  deploy_failed: FAILURE,
  deploy_succeeded: [
    [1, NOTIFY],
    [0, IGNORED],
  ],
  deploy_other: [[0, RECORDED]],
  pr_opened: [
    [3, plan('agent_spawned', { spawn: 'review', stat: 'reviewsPerformed', remember: 'pr_title' })],
    [2, plan('suggested', { suggest: true })],
    [1, NOTIFY],
    [0, IGNORED],
  ],
  pr_merged: [
    [1, NOTIFY],
    [0, IGNORED],
  ],
  push: [
    [3, plan('context_updated', { notify: true, remember: 'commits' })],
    [1, NOTIFY],
    [0, IGNORED],
  ],
  workflow_other: [[0, RECORDED]],
  check_run: [[0, RECORDED]],
  pr_other: [[0, RECORDED]],
};

export function kindOf(ci: CIEvent, facts: CIFacts): EventKind {
  switch (ci.type) {
    case 'workflow_run':
      return ci.conclusion === 'failure' ? 'workflow_failed' : 'workflow_other';
    case 'check_run':
      return 'check_run';
    case 'push':
      return 'push';
    case 'pull_request':
      if (facts.action === 'opened') return 'pr_opened';
      if (facts.action === 'closed' && facts.pr?.merged) return 'pr_merged';
      return 'pr_other';
  }
}

const PASSIVE: ReadonlySet<EventKind> = new Set(['workflow_other', 'check_run', 'pr_other', 'deploy_other']);

/** The plan for one project: by its agent's state and level; no agent acts for a project without one. */
export function decide(kind: EventKind, agent: { status: AgentStatus; autonomyLevel: number } | undefined): Plan {
  if (!agent) return PASSIVE.has(kind) ? RECORDED : IGNORED;
  if (agent.status === 'SUSPENDED') return plan('agent_suspended');
  const rule = RULES[kind].find(([min]) => agent.autonomyLevel >= min);
  return rule ? rule[1] : IGNORED;
}
