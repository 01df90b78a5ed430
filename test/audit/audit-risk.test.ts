import { describe, expect, it } from 'vitest';
import { riskOf } from '../../src/audit/audit.risk.js';

/** The documented risk table, action by action. */
const TABLE: Record<string, string[]> = {
  critical: ['deploy', 'rollback', 'kill', 'project_delete'],
  high: ['autonomy_change', 'suspend', 'restart', 'agent_terminate', 'link', 'unlink', 'channel_configure', 'webhook_secret_rotate'],
  medium: [
    'instruct', 'fix', 'review', 'approve', 'deny', 'resume', 'agent_create', 'agent_spawn', 'project_create',
    'org_create', 'member_add', 'member_remove', 'scheduler_pause', 'scheduler_resume', 'scheduler_cancel', 'approval_request',
  ],
  low: ['status', 'ci_event', 'notify', 'health_degraded', 'audit_cleanup', 'scheduler_run', 'message', 'anything_else', ''],
};

describe('riskOf', () => {
  for (const [risk, actions] of Object.entries(TABLE)) {
    it.each(actions)(`rates %j as ${risk}`, (action) => {
      expect(riskOf(action)).toBe(risk);
    });
  }

  it('matches actions exactly (no case folding, no prototype keys)', () => {
    expect(riskOf('DEPLOY')).toBe('low');
    expect(riskOf('deploy ')).toBe('low');
    expect(riskOf('constructor')).toBe('low');
    expect(riskOf('toString')).toBe('low');
    expect(riskOf('__proto__')).toBe('low');
  });
});
