import { describe, expect, it } from 'vitest';
import { toCIEvent, type HandledEvent } from '../../src/webhooks/ci-event.js';
import { decide, kindOf, RULES, type EventKind, type Plan } from '../../src/webhooks/reactions.js';
import { checkRun, pullRequest, push, workflowRun } from './fixtures.js';

const kind = (event: HandledEvent, payload: unknown): EventKind => {
  const m = toCIEvent(event, payload)!;
  return kindOf(m.ciEvent, m.facts);
};

describe('kindOf', () => {
  it.each<[string, HandledEvent, () => unknown, EventKind]>([
    ['a failed workflow run', 'workflow_run', () => workflowRun({ conclusion: 'failure' }), 'workflow_failed'],
    ['a successful workflow run', 'workflow_run', () => workflowRun({ conclusion: 'success' }), 'workflow_other'],
    ['a cancelled workflow run', 'workflow_run', () => workflowRun({ conclusion: 'cancelled' }), 'workflow_other'],
    ['an unfinished workflow run', 'workflow_run', () => workflowRun({ conclusion: null }), 'workflow_other'],
    ['a passed check run', 'check_run', () => checkRun({ conclusion: 'success' }), 'check_run'],
    ['a failed check run', 'check_run', () => checkRun({ conclusion: 'failure' }), 'check_run'],
    ['an opened PR', 'pull_request', () => pullRequest({ action: 'opened' }), 'pr_opened'],
    ['a merged PR', 'pull_request', () => pullRequest({ action: 'closed', merged: true }), 'pr_merged'],
    ['a PR closed without merge', 'pull_request', () => pullRequest({ action: 'closed', merged: false }), 'pr_other'],
    ['a reopened PR', 'pull_request', () => pullRequest({ action: 'reopened' }), 'pr_other'],
    ['a synchronized PR', 'pull_request', () => pullRequest({ action: 'synchronize' }), 'pr_other'],
    ['a push', 'push', () => push(), 'push'],
  ])('%s is %s → %s', (_label, event, payload, expected) => {
    expect(kind(event, payload())).toBe(expected);
  });
});

type Expect = Pick<Plan, 'outcome' | 'notify' | 'suggest'> & Partial<Pick<Plan, 'spawn' | 'stat' | 'remember'>>;

const ignored: Expect = { outcome: 'ignored', notify: false, suggest: false };
const recorded: Expect = { outcome: 'recorded', notify: false, suggest: false };
const notified: Expect = { outcome: 'notified', notify: true, suggest: false };

/** The documented autonomy table written out for levels 0–5, independently of RULES. */
const TABLE: Record<EventKind, Expect[]> = {
  workflow_failed: [
    ignored,
    notified,
    { outcome: 'suggested', notify: true, suggest: true },
    ...Array(3).fill({ outcome: 'agent_spawned', notify: false, suggest: false, spawn: 'incident', stat: 'incidentsHandled' }),
  ],
  workflow_other: Array(6).fill(recorded),
  check_run: Array(6).fill(recorded),
  pr_opened: [
    ignored,
    notified,
    { outcome: 'suggested', notify: false, suggest: true },
    ...Array(3).fill({ outcome: 'agent_spawned', notify: false, suggest: false, spawn: 'review', stat: 'reviewsPerformed', remember: 'pr_title' }),
  ],
  pr_merged: [ignored, ...Array(5).fill(notified)],
  pr_other: Array(6).fill(recorded),
  push: [ignored, notified, notified, ...Array(3).fill({ outcome: 'context_updated', notify: true, suggest: false, remember: 'commits' })],
  // A failed deploy is handled exactly as a failed workflow; a successful one is news from L1.
  deploy_failed: [
    ignored,
    notified,
    { outcome: 'suggested', notify: true, suggest: true },
    ...Array(3).fill({ outcome: 'agent_spawned', notify: false, suggest: false, spawn: 'incident', stat: 'incidentsHandled' }),
  ],
  deploy_succeeded: [ignored, ...Array(5).fill(notified)],
  deploy_other: Array(6).fill(recorded),
};

const shape = (p: Plan): Expect => ({
  outcome: p.outcome,
  notify: p.notify,
  suggest: p.suggest,
  ...(p.spawn ? { spawn: p.spawn } : {}),
  ...(p.stat ? { stat: p.stat } : {}),
  ...(p.remember ? { remember: p.remember } : {}),
});

describe('decide', () => {
  const cases = (Object.keys(TABLE) as EventKind[]).flatMap((k) => TABLE[k].map((e, level) => [k, level, e] as const));

  it.each(cases)('%s at L%i → %o', (k, level, expected) => {
    expect(shape(decide(k, { status: 'ACTIVE', autonomyLevel: level }))).toEqual(expected);
  });

  it.each(cases)('%s at L%i behaves the same for an IDLE agent', (k, level, expected) => {
    expect(shape(decide(k, { status: 'IDLE', autonomyLevel: level }))).toEqual(expected);
  });

  it.each((Object.keys(TABLE) as EventKind[]).map((k) => [k]))('a SUSPENDED agent does nothing on %s at any level', (k) => {
    for (let level = 0; level <= 5; level++) {
      expect(shape(decide(k, { status: 'SUSPENDED', autonomyLevel: level }))).toEqual({ outcome: 'agent_suspended', notify: false, suggest: false });
    }
  });

  it('a project without an agent records passive events and ignores the rest', () => {
    for (const k of Object.keys(TABLE) as EventKind[]) {
      const passive = k === 'workflow_other' || k === 'check_run' || k === 'pr_other' || k === 'deploy_other';
      expect(decide(k, undefined).outcome).toBe(passive ? 'recorded' : 'ignored');
    }
  });

  it('RULES lists each kind once with thresholds in descending order down to 0', () => {
    for (const rules of Object.values(RULES)) {
      const mins = rules.map(([min]) => min);
      expect(mins).toEqual([...mins].sort((a, b) => b - a));
      expect(mins.at(-1)).toBe(0);
    }
  });
});
