import type { Clock } from '../clock.js';
import { AppError, notFound } from '../http/errors.js';
import { DEFAULT_ORG, type OrgScope } from '../http/org-scope.js';
import { newId } from '../ids.js';
import type { UnitOfWork } from '../db/engine.js';
import type { DeployGlue } from './deploys.glue.js';
import type { DeploysRepository } from './deploys.repository.js';
import type { Deploy, DeployBody, DeployQuery, DeployReportResult } from './deploys.schemas.js';

const DELIVERY_TTL_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

/** Live events (the events domain); a no-op until it is wired. The one hook point for `deploy.status`. */
export type EmitPort = (type: 'deploy.status', orgId: string, data: Deploy) => void;

export interface DeployReport {
  /** The org whose URL received it; null for the instance URL. */
  orgId: string | null;
  /** X-Deploy-Id, when sent. */
  deployId: string | null;
  body: DeployBody;
}

export interface DeploysServiceDeps {
  /** A report is one unit: the claim, the deploy, and what the glue writes in other domains. */
  uow: UnitOfWork;
  glue: DeployGlue;
  clock: Clock;
  /**
   * API_TOKENS set and DEPLOY_WEBHOOK_SECRET unset: anyone may post to the instance URL, so it
   * reaches only the default org's projects; tenants report to their own signed org URL.
   */
  restrictInstanceUrl?: boolean;
  emit?: EmitPort;
}

const ambiguous = () =>
  new AppError('AMBIGUOUS_PROJECT', 'That repository is linked in several organizations: report to the org URL or use the project id');

export function createDeploysService({ uow, glue, clock, restrictInstanceUrl = false, emit = () => {} }: DeploysServiceDeps) {
  let prunedAt = Number.NEGATIVE_INFINITY;
  /** Old X-Deploy-Id claims go at most once an hour, inside a report's own unit. */
  async function pruneIfDue(tx: DeploysRepository, now: Date): Promise<void> {
    if (now.getTime() - prunedAt < PRUNE_EVERY_MS) return;
    prunedAt = now.getTime();
    await tx.pruneDeliveriesBefore(new Date(now.getTime() - DELIVERY_TTL_MS).toISOString());
  }

  /** A project id, else `owner/name` (or its GitHub URL), in the org of the URL (any org on the instance URL). */
  async function resolveProject(ref: string, orgId: string | null) {
    const reachable = (p: { orgId: string }) => (orgId !== null ? p.orgId === orgId : !restrictInstanceUrl || p.orgId === DEFAULT_ORG);
    const byId = await glue.projectById(ref);
    if (byId && reachable(byId)) return byId;
    const linked = (await glue.projectsForRepo(ref)).filter(reachable);
    if (linked.length > 1) throw ambiguous();
    if (linked.length === 0) throw notFound('Project');
    return linked[0]!;
  }

  return {
    /**
     * Order of checks after the signature and the body: duplicate X-Deploy-Id, project.
     * The claim, the deploy, `lastDeploy`, the audit entry and the agent's reaction commit together.
     */
    async report(r: DeployReport): Promise<DeployReportResult> {
      const result = await uow.run(async ({ deploys: tx }) => {
        const now = clock.now();
        await pruneIfDue(tx, now);
        const at = now.toISOString();
        if (r.deployId !== null && !(await tx.claimDelivery(r.orgId ?? '', r.deployId, at))) {
          return { received: true as const, processed: false as const, duplicate: true as const, reason: 'Duplicate delivery' };
        }
        const project = await resolveProject(r.body.project, r.orgId);
        const b = r.body;
        const deploy: Deploy = {
          id: newId('dep', 10),
          projectId: project.id,
          orgId: project.orgId,
          environment: b.environment ?? 'production',
          status: b.status,
          sha: b.sha ?? null,
          url: b.url ?? null,
          message: b.message ?? null,
          source: b.source ?? null,
          at,
        };
        await tx.insert(deploy);
        const outcome = await glue.recorded(project, deploy);
        return { received: true as const, processed: true as const, projectId: project.id, deploy, outcomes: [outcome] };
      });
      // Events leave only once the report is committed.
      if (result.processed) emit('deploy.status', result.deploy.orgId, result.deploy);
      return result;
    },

    async list(scope: OrgScope, q: DeployQuery): Promise<Deploy[]> {
      return uow.current().deploys.list({ orgId: scope.orgId, projectId: q.projectId, environment: q.environment, status: q.status, limit: q.limit ?? 20 });
    },
  };
}

export type DeploysService = ReturnType<typeof createDeploysService>;
