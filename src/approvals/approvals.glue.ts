import type { AgentsService } from '../agents/agents.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ProjectsService } from '../projects/projects.service.js';

/**
 * Everything the approvals service asks of other domains, in one place. `audit` is called
 * inside the caller's unit of work, which the audit service's own unit joins.
 */
export interface ApprovalGlue {
  projectInOrg(orgId: string, projectId: string): Promise<boolean>;
  agentInOrg(orgId: string, agentId: string): Promise<boolean>;
  /** A user's action on an approval, inside the caller's unit. */
  audit(e: { orgId: string; actor: string; action: 'approval_request' | 'approve' | 'deny'; projectId: string | null; metadata: Record<string, unknown> }): Promise<unknown>;
}

export function createApprovalGlue(d: { projects: ProjectsService; agents: AgentsService; audit: AuditService }): ApprovalGlue {
  return {
    projectInOrg: async (orgId, projectId) => (await d.projects.inOrg(orgId, projectId)) !== undefined,
    agentInOrg: async (orgId, agentId) => (await d.agents.inOrg(orgId, agentId)) !== undefined,
    audit: (e) =>
      d.audit.append({ orgId: e.orgId, actorType: 'user', actorId: e.actor, action: e.action, projectId: e.projectId, metadata: e.metadata }),
  };
}
