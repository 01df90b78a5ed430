import type { AgentsService } from '../agents/agents.service.js';
import type { AgentRow } from '../agents/agents.repository.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Plan } from './reactions.js';

/** Where memory documents go (the memory domain; a no-op until it is wired). */
export interface MemoryPort {
  addDocument(doc: { orgId: string; projectId: string; source: string; text: string }): Promise<unknown>;
}

/** What happened, in the words the project agent's notification, suggestion and spawned agent use. */
export interface Occurrence {
  /** `metadata.event` of the entries the agent writes (`workflow_run`, `deploy`, …). */
  event: string;
  details: string;
  suggestion: string;
  /** The name of an agent spawned for it. */
  spawnName: (type: NonNullable<Plan['spawn']>) => string;
  /** The texts a plan that remembers keeps in the project's memory. */
  memories?: (what: NonNullable<Plan['remember']>) => Array<{ source: string; text: string }>;
}

export interface ReactorDeps {
  audit: AuditService;
  agents: AgentsService;
  memory: MemoryPort;
}

/**
 * Carries out the project agent's plan (from the one reaction table in reactions.ts) for
 * any source of events: GitHub deliveries and deploy reports both call it. Returns the id of
 * a spawned agent, if any. Every write joins the caller's unit of work.
 */
export function createReactor({ audit, agents, memory }: ReactorDeps) {
  return async function carryOut(plan: Plan, agent: AgentRow, p: { id: string; orgId: string }, o: Occurrence): Promise<string | null> {
    if (plan.outcome === 'agent_suspended') return null;
    const by = { actorType: 'agent' as const, actorId: agent.id };
    await agents.touch(agent.id);
    if (plan.notify) {
      await audit.append({ orgId: p.orgId, ...by, action: 'notify', projectId: p.id, metadata: { event: o.event, message: o.details } });
    }
    if (plan.suggest) {
      await audit.append({ orgId: p.orgId, ...by, action: 'suggest', projectId: p.id, metadata: { event: o.event, suggestion: o.suggestion } });
    }
    if (plan.remember) {
      for (const m of o.memories?.(plan.remember) ?? []) await memory.addDocument({ orgId: p.orgId, projectId: p.id, ...m });
    }
    if (plan.stat) await agents.countStat(agent.id, plan.stat);
    if (!plan.spawn) return null;
    const spawned = await agents.spawn({
      orgId: p.orgId,
      projectId: p.id,
      type: plan.spawn,
      name: o.spawnName(plan.spawn),
      task: plan.spawn === 'incident' ? `Investigate: ${o.details}` : `Review: ${o.details}`,
      autonomyLevel: agent.autonomyLevel,
      by,
      metadata: { event: o.event },
    });
    return spawned.id;
  };
}

export type CarryOut = ReturnType<typeof createReactor>;
