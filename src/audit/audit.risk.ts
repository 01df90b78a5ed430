export const RISKS = ['low', 'medium', 'high', 'critical'] as const;
export type Risk = (typeof RISKS)[number];

const RISK_OF: Record<string, Risk> = {
  deploy: 'critical',
  rollback: 'critical',
  kill: 'critical',
  project_delete: 'critical',
  autonomy_change: 'high',
  suspend: 'high',
  restart: 'high',
  agent_terminate: 'high',
  link: 'high',
  unlink: 'high',
  channel_configure: 'high',
  webhook_secret_rotate: 'high',
  instruct: 'medium',
  fix: 'medium',
  review: 'medium',
  approve: 'medium',
  deny: 'medium',
  approval_request: 'medium',
  resume: 'medium',
  agent_create: 'medium',
  agent_spawn: 'medium',
  project_create: 'medium',
  org_create: 'medium',
  member_add: 'medium',
  member_remove: 'medium',
  scheduler_pause: 'medium',
  scheduler_resume: 'medium',
  scheduler_cancel: 'medium',
};

/**
 * Fixed when the entry is written; unknown actions are low. Own keys only:
 * `constructor` or `toString` must not resolve through the prototype.
 */
export const riskOf = (action: string): Risk => (Object.hasOwn(RISK_OF, action) ? RISK_OF[action]! : 'low');
