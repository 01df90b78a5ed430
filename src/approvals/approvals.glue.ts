import type { AgentsService } from '../agents/agents.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ProjectsService } from '../projects/projects.service.js';

/**
 * Everything the approvals service asks of other domains, in one place. These services are
 * still synchronous; on the async engine each call becomes an await inside the caller's unit
 * of work (`engine.uow.run`), and nothing else in the approvals domain changes.
 */
export interface ApprovalGlue {
  projectInOrg(orgId: string, projectId: string): boolean;
  agentInOrg(orgId: string, agentId: string): boolean;
  /** A user's action on an approval, inside the caller's unit. */
  audit(e: { orgId: string; actor: string; action: 'approval_request' | 'approve' | 'deny'; projectId: string | null; metadata: Record<string, unknown> }): void;
}

export function createApprovalGlue(d: { projects: ProjectsService; agents: AgentsService; audit: AuditService }): ApprovalGlue {
  return {
    projectInOrg: (orgId, projectId) => d.projects.inOrg(orgId, projectId) !== undefined,
    agentInOrg: (orgId, agentId) => d.agents.inOrg(orgId, agentId) !== undefined,
    audit: (e) =>
      d.audit.append({ orgId: e.orgId, actorType: 'user', actorId: e.actor, action: e.action, projectId: e.projectId, metadata: e.metadata }),
  };
}
