import { noEmit, type EmitPort } from '../events/events.types.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { everyInterval, type Clock } from '../clock.js';
import type { UnitOfWork } from '../db/engine.js';
import { badRequest } from '../http/errors.js';
import { DEFAULT_ORG } from '../http/org-scope.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AgentsService } from '../agents/agents.service.js';
import type { ProjectsService } from '../projects/projects.service.js';
import type { ProjectRow } from '../projects/projects.repository.js';
import { isHandled, toCIEvent, type CIEvent, type CIFacts, type Mapped } from './ci-event.js';
import { decide, kindOf, type Outcome } from './reactions.js';
import { createReactor, type MemoryPort, type Occurrence } from './reaction-runner.js';
import type { AgentRow } from '../agents/agents.repository.js';
import type { ClaimOutcome, WebhooksRepository } from './webhooks.repository.js';

const DELIVERY_TTL_MS = 7 * 86_400_000;
/** A body seen at the same URL this recently under another delivery id is a replay. */
export const REPLAY_WINDOW_MS = 72 * 3_600_000;
const RECEIPT_TTL_MS = 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Deliveries applied in one unit of work at most (a longer unit holds the lock longer). */
const MAX_BATCH = 50;

export type { MemoryPort } from './reaction-runner.js';

export interface Delivery {
  event: string;
  deliveryId: string | null;
  payload: unknown;
  /** The org whose URL received it; null for the instance URL. */
  orgId: string | null;
  /** SHA-256 (hex) of the raw body, for the replay rule. */
  bodySha256: string;
}

export type DeliveryResult = Record<string, unknown> & { received: true; event: string; processed: boolean };

export interface ProjectOutcome {
  projectId: string;
  agentId: string | null;
  outcome: Outcome;
  spawnedAgentId: string | null;
}

export interface WebhooksServiceDeps {
  uow: UnitOfWork;
  audit: AuditService;
  agents: AgentsService;
  projects: ProjectsService;
  memory: MemoryPort;
  clock: Clock;
  /**
   * Multi-tenant deployments (API_TOKENS set): the instance URL reaches only the default
   * org's projects and those whose repo webhook the server created itself.
   */
  restrictInstanceUrl: boolean;
  /** Live events (ci.event, one per org reached), sent once the delivery commits. */
  emit?: EmitPort;
}


const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function createWebhooksService({ uow, audit, agents, projects, memory, clock, restrictInstanceUrl, emit = noEmit }: WebhooksServiceDeps) {
  const carryOut = createReactor({ audit, agents, memory });
  const store = (): WebhooksRepository => uow.current().webhooks;
  const ago = (now: Date, ms: number) => new Date(now.getTime() - ms).toISOString();
  const pruneIfDue = everyInterval(clock, PRUNE_EVERY_MS, (now) =>
    uow.run(async (tx) => {
      await tx.webhooks.pruneBefore(ago(now, DELIVERY_TTL_MS));
      await tx.webhooks.prunePayloadsBefore(ago(now, REPLAY_WINDOW_MS));
      await tx.webhooks.pruneReceiptsBefore(ago(now, RECEIPT_TTL_MS));
    }),
  );

  /**
   * What a batch reads once for all its deliveries: the projects linked to a repo and their
   * agents. Nothing a delivery writes changes what another one reads there (links, orgs,
   * agents' levels and status), so a batch answers as if its reads had been made at its start.
   */
  interface BatchReads {
    linked(repo: string): Promise<ProjectRow[]>;
    agent(id: string): Promise<AgentRow | undefined>;
  }
  function batchReads(): BatchReads {
    const linked = new Map<string, Promise<ProjectRow[]>>();
    const agentsById = new Map<string, Promise<AgentRow | undefined>>();
    const once = <T>(m: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> => {
      let got = m.get(key);
      if (!got) m.set(key, (got = read()));
      return got;
    };
    return {
      linked: (repo) => once(linked, repo, () => projects.linkedTo(repo)),
      agent: (id) => once(agentsById, id, () => agents.byId(id)),
    };
  }

  /**
   * Linking a repo proves nothing about who owns it: an org URL reaches only its own org's
   * projects, and in a multi-tenant deployment the instance URL only those it can vouch for.
   */
  async function routed(reads: BatchReads, repo: string, orgId: string | null): Promise<ProjectRow[]> {
    const linked = await reads.linked(repo);
    if (orgId !== null) return linked.filter((p) => p.orgId === orgId);
    if (!restrictInstanceUrl) return linked;
    return linked.filter((p) => p.orgId === DEFAULT_ORG || p.webhookConfigured);
  }

  /** The project agent's work for one project; every write joins the delivery's transaction. */
  async function actFor(reads: BatchReads, p: ProjectRow, ci: CIEvent, facts: CIFacts, deliveryId: string | null): Promise<ProjectOutcome> {
    const branch = ci.branch ?? p.defaultBranch;
    await audit.append({
      orgId: p.orgId,
      actorType: 'system',
      actorId: 'webhook-handler',
      action: 'ci_event',
      result: 'processed',
      projectId: p.id,
      metadata: { event: ci.type, action: facts.action, repo: ci.repo, branch, status: ci.status, conclusion: ci.conclusion, deliveryId },
    });
    if (facts.build?.completed) {
      const b = facts.build;
      await projects.setLastBuild(p.id, { workflow: b.workflow, branch, conclusion: ci.conclusion, sha: b.sha, url: b.url, at: b.at ?? clock.now().toISOString() });
    }
    const agent = p.agentId ? await reads.agent(p.agentId) : undefined;
    const plan = decide(kindOf(ci, facts), agent);
    const spawned = agent ? await carryOut(plan, agent, p, occurrence({ ...ci, branch }, facts)) : null;
    return { projectId: p.id, agentId: agent?.id ?? null, outcome: plan.outcome, spawnedAgentId: spawned };
  }

  /** De-duplication and the replay rule: whether this delivery is to be applied. */
  async function claim(d: Delivery): Promise<ClaimOutcome> {
    const now = clock.now();
    return store().claim({
      deliveryId: d.deliveryId,
      event: d.event,
      target: d.orgId ?? '',
      sha256: d.bodySha256,
      at: now.toISOString(),
      idsKeptFrom: ago(now, DELIVERY_TTL_MS),
      replayedAfter: ago(now, REPLAY_WINDOW_MS),
      receiptFor: d.orgId,
    });
  }

  /** One delivery, once claimed, inside the batch's unit of work. */
  async function apply(d: Delivery, mapped: Mapped | undefined, claimed: ClaimOutcome, reads: BatchReads): Promise<DeliveryResult> {
    const base = { received: true as const, event: d.event };
    if (claimed === 'duplicate') return { ...base, processed: false, duplicate: true, reason: 'Duplicate delivery' };
    if (claimed === 'replayed') return { ...base, processed: false, duplicate: true, reason: 'Replayed payload' };
    if (d.event === 'ping') return { ...base, processed: true };
    if (!mapped) return { ...base, processed: false, reason: 'Event type not handled' };
    const { ciEvent, facts } = mapped;
    const linked = await routed(reads, ciEvent.repo, d.orgId);
    const head = { ...base, action: facts.action, repo: ciEvent.repo };
    if (linked.length === 0) return { ...head, processed: false, reason: 'Repository not linked' };
    const at = clock.now().toISOString();
    if (d.orgId === null) for (const orgId of new Set(linked.map((p) => p.orgId))) await store().recordReceipt(orgId, at);
    const outcomes: ProjectOutcome[] = [];
    for (const p of linked) outcomes.push(await actFor(reads, p, ciEvent, facts, d.deliveryId));
    const shown = { ...ciEvent, branch: ciEvent.branch ?? linked[0]!.defaultBranch };
    // Each org sees its own projects' outcomes only.
    for (const orgId of new Set(linked.map((p) => p.orgId))) {
      const mine = new Set(linked.filter((p) => p.orgId === orgId).map((p) => p.id));
      emit('ci.event', orgId, { ciEvent: shown, outcomes: outcomes.filter((o) => mine.has(o.projectId)) });
    }
    return { ...head, processed: true, ciEvent: shown, outcomes };
  }

  /**
   * Deliveries in one unit of work: every claim first (a claim only meets other claims), then
   * each claimed delivery in order. On PostgreSQL the writes they make without needing an
   * answer are held and sent together (one statement per kind), so a batch costs a round trip
   * per delivery plus a few of its own.
   */
  async function applyAll(jobs: Job[]): Promise<DeliveryResult[]> {
    const claims: ClaimOutcome[] = [];
    for (const job of jobs) claims.push(await claim(job.d));
    const reads = batchReads();
    const out: DeliveryResult[] = [];
    for (const [i, job] of jobs.entries()) out.push(await apply(job.d, job.mapped, claims[i]!, reads));
    return out;
  }

  /**
   * Group commit: deliveries are applied in batches, one batch at a time in this process, and
   * those that arrive while a batch runs form the next one: one commit for many, and on
   * PostgreSQL one turn at the unit lock instead of one each. A batch is one unit of work; if
   * any delivery in it fails, the unit rolls back whole and each of its deliveries runs again
   * in a unit of its own, so a failing delivery fails alone (failures are rare: a savepoint
   * per delivery would cost every delivery two more round trips); when the database is
   * unreachable, the whole batch fails at once instead. Every caller is answered only after
   * its commit.
   */
  interface Job {
    d: Delivery;
    mapped: Mapped | undefined;
    resolve: (r: DeliveryResult) => void;
    reject: (err: unknown) => void;
  }
  const queue: Job[] = [];
  let draining = false;
  async function runAlone(job: Job): Promise<void> {
    try {
      job.resolve((await uow.run(() => applyAll([job])))[0]!);
    } catch (err) {
      job.reject(err);
    }
  }
  async function runBatch(jobs: Job[]): Promise<void> {
    if (jobs.length === 1) return runAlone(jobs[0]!);
    let results: DeliveryResult[];
    try {
      results = await uow.run(() => applyAll(jobs));
    } catch (err) {
      // Unreachable, the database fails every rerun as well (each after the pool's timeout).
      if (isDatabaseUnavailable(err)) return jobs.forEach((job) => job.reject(err));
      for (const job of jobs) await runAlone(job);
      return;
    }
    jobs.forEach((job, i) => job.resolve(results[i]!));
  }
  async function drain(): Promise<void> {
    while (queue.length > 0) await runBatch(queue.splice(0, MAX_BATCH));
    draining = false;
  }

  return {
    /** Handles one verified delivery; INVALID_PAYLOAD is decided before de-duplication. */
    process(d: Delivery): Promise<DeliveryResult> {
      if (!isObject(d.payload)) throw badRequest('INVALID_PAYLOAD', 'Webhook payload must be a JSON object');
      const mapped = isHandled(d.event) ? toCIEvent(d.event, d.payload) : undefined;
      if (isHandled(d.event) && !mapped) throw badRequest('INVALID_PAYLOAD', `Payload is missing fields a ${d.event} event needs`);
      pruneIfDue();
      return new Promise<DeliveryResult>((resolve, reject) => {
        queue.push({ d, mapped, resolve, reject });
        if (draining) return;
        draining = true;
        setImmediate(() => void drain());
      });
    },
  };
}

/** A GitHub event in the words the project agent uses. */
function occurrence(ci: CIEvent, facts: CIFacts): Occurrence {
  return {
    event: ci.type,
    details: ci.details,
    suggestion: suggestionFor(ci),
    spawnName: (type) => (type === 'incident' ? `incident ${ci.branch ?? ''}`.trim() : `review PR #${facts.pr?.number ?? ''}`.trim()),
    memories: (what) =>
      what === 'pr_title'
        ? facts.pr
          ? [{ source: 'pull_request', text: facts.pr.title }]
          : []
        : (facts.commits ?? []).map((text) => ({ source: 'push', text })),
  };
}

function suggestionFor(ci: CIEvent): string {
  if (ci.type === 'workflow_run') return `Re-run the failed jobs of ${ci.repo} on ${ci.branch ?? 'its branch'} and inspect the first failing step`;
  return `Review ${ci.details}`;
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
