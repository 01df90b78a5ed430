import type { AgentsService } from '../agents/agents.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ProjectsService } from '../projects/projects.service.js';
import type { ProjectRow } from '../projects/projects.repository.js';
import { parseRepo } from '../projects/repo-ref.js';
import type { CarryOut, Occurrence } from '../webhooks/reaction-runner.js';
import { decide, type Outcome } from '../webhooks/reactions.js';
import type { Deploy, DeployStatus } from './deploys.schemas.js';

export interface DeployOutcome {
  projectId: string;
  agentId: string | null;
  outcome: Outcome;
  spawnedAgentId: string | null;
}

/**
 * Everything the deploys service asks of other domains, in one place. Called inside the
 * report's unit of work: the services' own units join it, so every write commits together.
 */
export interface DeployGlue {
  projectById(id: string): Promise<ProjectRow | undefined>;
  /** Every project linked to the repo named by `ref` (`owner/name` or its GitHub URL), in any org. */
  projectsForRepo(ref: string): Promise<ProjectRow[]>;
  /** `lastDeploy`, the audit entry and the project agent's reaction, inside the caller's unit. */
  recorded(project: ProjectRow, deploy: Deploy): Promise<DeployOutcome>;
}

const KIND = { failed: 'deploy_failed', succeeded: 'deploy_succeeded', started: 'deploy_other', rolled_back: 'deploy_other' } as const;
const WORD: Record<DeployStatus, string> = { started: 'started', succeeded: 'succeeded', failed: 'failed', rolled_back: 'rolled back' };

/** `Deploy of owner/name to production failed (abc1234): message` */
export function deployDetails(repo: string, d: Deploy): string {
  const sha = d.sha ? ` (${d.sha.slice(0, 7)})` : '';
  const message = d.message ? `: ${d.message.split('\n', 1)[0]}` : '';
  return `Deploy of ${repo} to ${d.environment} ${WORD[d.status]}${sha}${message}`;
}

function occurrence(repo: string, d: Deploy): Occurrence {
  return {
    event: 'deploy',
    details: deployDetails(repo, d),
    suggestion: `Roll ${d.environment} back to its last good release of ${repo}, then inspect the failed deploy${d.url ? ` (${d.url})` : ''}`,
    spawnName: () => `incident ${d.environment}`,
  };
}

export function createDeployGlue(d: { projects: ProjectsService; agents: AgentsService; audit: AuditService; carryOut: CarryOut }): DeployGlue {
  const { projects, agents, audit, carryOut } = d;
  return {
    projectById: (id) => projects.byId(id),
    async projectsForRepo(ref) {
      const r = parseRepo(ref);
      return r ? projects.linkedTo(`${r.owner}/${r.name}`) : [];
    },
    async recorded(project, deploy) {
      await projects.setLastDeploy(project.id, deploy);
      await audit.append({
        orgId: project.orgId,
        actorType: 'system',
        actorId: deploy.source ?? 'deploy-webhook',
        action: deploy.status === 'rolled_back' ? 'rollback' : 'deploy',
        result: 'processed',
        projectId: project.id,
        metadata: { environment: deploy.environment, status: deploy.status, sha: deploy.sha, url: deploy.url },
      });
      const agent = project.agentId ? await agents.byId(project.agentId) : undefined;
      const plan = decide(KIND[deploy.status], agent);
      const spawned = agent ? await carryOut(plan, agent, project, occurrence(project.repo, deploy)) : null;
      return { projectId: project.id, agentId: agent?.id ?? null, outcome: plan.outcome, spawnedAgentId: spawned };
    },
  };
}
