import type { Clock } from '../clock.js';
import type { UnitOfWork } from '../db/engine.js';
import { AppError, badRequest, notFound } from '../http/errors.js';
import { visibleIn, writeOrg, type OrgScope } from '../http/org-scope.js';
import { insertWithFreshId, newId } from '../ids.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ActorType } from '../audit/audit.schemas.js';
import {
  AUTONOMY_MESSAGE,
  INVALID_ACTION_MESSAGE,
  SHORT_TYPE,
  SetAutonomyParams,
  isTaskLike,
  type Agent,
  type AgentActionBody,
  type AgentListQuery,
  type AgentProject,
  type AgentStatus,
  type AgentType,
  type CreateAgentBody,
  type StatName,
} from './agents.schemas.js';
import type { AgentRow, AgentsRepository } from './agents.repository.js';
import { noEmit, type EmitPort } from '../events/events.types.js';

/** What agents need to know of other domains, wired in services.ts. */
export interface AgentPorts {
  project(orgId: string, projectId: string): Promise<AgentProject | undefined>;
  memorySummary(orgId: string, projectId: string): Promise<{ embeddings: number; storageMB: number }>;
  connectedChannels(): string[];
  /** Records a new project agent as its project's agent (the project row holds the link). */
  adoptProjectAgent(orgId: string, projectId: string, agentId: string): Promise<void>;
}

export interface Actor {
  actorType: ActorType;
  actorId: string;
}

export interface SpawnInput {
  orgId: string;
  projectId: string;
  type: AgentType;
  name: string;
  task: string | null;
  autonomyLevel: number;
  by: Actor;
  metadata?: Record<string, unknown>;
}

export interface AgentsServiceDeps {
  uow: UnitOfWork;
  audit: AuditService;
  clock: Clock;
  ports: AgentPorts;
  /** Live events, sent once the change commits. */
  emit?: EmitPort;
}

export function createAgentsService({ uow, audit, clock, ports, emit = noEmit }: AgentsServiceDeps) {
  const store = (): AgentsRepository => uow.current().agents;
  const now = () => clock.now().toISOString();

  function view(a: AgentRow): Agent {
    const uptime = Math.max(0, Math.floor((clock.now().getTime() - Date.parse(a.startedAt)) / 1000));
    return {
      id: a.id,
      name: a.name,
      type: a.type,
      status: a.status,
      autonomyLevel: a.autonomyLevel,
      projectId: a.projectId,
      orgId: a.orgId,
      uptime,
      lastActivity: a.lastActivity,
      createdAt: a.createdAt,
      ...(a.type === 'project' ? { channels: ports.connectedChannels() } : {}),
      ...(isTaskLike(a.type) ? { task: a.task } : {}),
    };
  }

  /** agent.updated with the agent as it now reads (inside the change's unit, so it sees the change). */
  async function updated(id: string): Promise<void> {
    const a = await store().get(id);
    if (a) emit('agent.updated', a.orgId, view(a));
  }

  /** The agent if it exists in the scope; another org's agent is answered as absent. */
  async function find(scope: OrgScope, id: string): Promise<AgentRow> {
    const a = await store().get(id);
    if (!a || !visibleIn(scope, a.orgId)) throw notFound('Agent');
    return a;
  }

  async function insertAgent(input: Omit<AgentRow, 'id' | 'status' | 'startedAt' | 'lastActivity' | 'createdAt' | 'messagesProcessed' | 'tasksCompleted' | 'reviewsPerformed' | 'deploysTriggered' | 'incidentsHandled'>): Promise<AgentRow> {
    const at = now();
    const fields: Omit<AgentRow, 'id'> = {
      ...input,
      status: 'ACTIVE',
      startedAt: at,
      lastActivity: at,
      createdAt: at,
      messagesProcessed: 0,
      tasksCompleted: 0,
      reviewsPerformed: 0,
      deploysTriggered: 0,
      incidentsHandled: 0,
    };
    const row = await insertWithFreshId(() => ({ id: newId(`agent-${SHORT_TYPE[input.type]}`), ...fields }), (r) => store().insert(r));
    emit('agent.created', row.orgId, view(row));
    return row;
  }

  const createTx = (orgId: string, actor: string, body: CreateAgentBody): Promise<AgentRow> =>
    uow.run(async () => {
    if (body.type === 'project' && !body.projectId) throw badRequest('MISSING_FIELD', 'projectId is required for a project agent');
    if (body.projectId) {
      if (!await ports.project(orgId, body.projectId)) throw notFound('Project');
      if (body.type === 'project' && await store().projectAgent(body.projectId)) {
        throw new AppError('AGENT_ALREADY_EXISTS', 'Project already has a project agent');
      }
    }
    const row = await insertAgent({ orgId, projectId: body.projectId ?? null, name: body.name, type: body.type, autonomyLevel: body.autonomyLevel ?? 1, task: null });
    // A project left without an agent (its project agent was deleted or unlinked) gets this one.
    if (row.type === 'project') await ports.adoptProjectAgent(orgId, row.projectId!, row.id);
    await audit.append({
      orgId,
      actorType: 'user',
      actorId: actor,
      action: 'agent_create',
      projectId: row.projectId,
      metadata: { agentId: row.id, name: row.name, type: row.type, autonomyLevel: row.autonomyLevel },
    });
    return row;
  });

  const removeTx = (a: AgentRow, by: Actor, reason?: string) =>
    uow.run(async () => {
    await store().remove(a.id);
    emit('agent.deleted', a.orgId, { id: a.id });
    await audit.append({
      orgId: a.orgId,
      ...by,
      action: 'agent_terminate',
      projectId: a.projectId,
      metadata: { agentId: a.id, name: a.name, type: a.type, ...(reason ? { reason } : {}) },
    });
  });

  const statusActionTx = (a: AgentRow, actor: string, action: 'suspend' | 'resume' | 'restart') =>
    uow.run(async () => {
    const at = now();
    const next: AgentStatus = action === 'suspend' ? 'SUSPENDED' : 'ACTIVE';
    if (action === 'restart') await store().restart(a.id, at);
    else await store().setStatus(a.id, next, at);
    await updated(a.id);
    await audit.append({
      orgId: a.orgId,
      actorType: 'user',
      actorId: actor,
      action,
      projectId: a.projectId,
      metadata: { agentId: a.id, previousStatus: a.status, newStatus: next },
    });
    return {
      id: a.id,
      action,
      previousStatus: a.status,
      currentStatus: next,
      timestamp: at,
      ...(action === 'restart' ? { uptime: 0 as const } : {}),
    };
  });

  // Reads the level inside the transaction so concurrent changes each see the one before.
  const autonomyTx = (id: string, actor: string, level: number) =>
    uow.run(async () => {
    const a = (await store().get(id))!;
    const at = now();
    await store().setLevel(id, level, at);
    await updated(id);
    await audit.append({
      orgId: a.orgId,
      actorType: 'user',
      actorId: actor,
      action: 'autonomy_change',
      projectId: a.projectId,
      metadata: { agentId: id, previousLevel: a.autonomyLevel, newLevel: level },
    });
    return { id, action: 'set_autonomy' as const, previousLevel: a.autonomyLevel, currentLevel: level, timestamp: at };
  });

  return {
    view,
    async list(scope: OrgScope, q: AgentListQuery): Promise<Agent[]> {
      return (await store().list({ orgId: scope.orgId, ...q })).map(view);
    },

    async details(scope: OrgScope, id: string) {
      const a = await find(scope, id);
      const project = a.projectId ? ((await ports.project(a.orgId, a.projectId)) ?? null) : null;
      return {
        ...view(a),
        project,
        stats: {
          messagesProcessed: a.messagesProcessed,
          tasksCompleted: a.tasksCompleted,
          reviewsPerformed: a.reviewsPerformed,
          deploysTriggered: a.deploysTriggered,
          incidentsHandled: a.incidentsHandled,
        },
        memory: a.projectId ? await ports.memorySummary(a.orgId, a.projectId) : { embeddings: 0, storageMB: 0 },
      };
    },

    async create(scope: OrgScope, actor: string, body: CreateAgentBody): Promise<Agent> {
      return view(await createTx(writeOrg(scope), actor, body));
    },

    async remove(scope: OrgScope, actor: string, id: string) {
      await removeTx(await find(scope, id), { actorType: 'user', actorId: actor });
      return { id, deleted: true as const, message: 'Agent removed' };
    },

    async act(scope: OrgScope, actor: string, id: string, body: AgentActionBody) {
      const a = await find(scope, id);
      if (body.action === 'set_autonomy') {
        const parsed = SetAutonomyParams.safeParse(body.params ?? {});
        if (!parsed.success) {
          // Same details as the registry gives a bad body.autonomyLevel on create.
          const details = parsed.error.issues.map((i) => ({ path: ['body', 'params', ...i.path.map(String)].join('.'), message: i.message }));
          throw badRequest('INVALID_AUTONOMY_LEVEL', AUTONOMY_MESSAGE, details);
        }
        return autonomyTx(a.id, actor, parsed.data.level);
      }
      if (body.action === 'suspend' || body.action === 'resume' || body.action === 'restart') return statusActionTx(a, actor, body.action);
      throw badRequest('INVALID_ACTION', INVALID_ACTION_MESSAGE);
    },

    // --- the API other domains call (no HTTP, no scope: they pass the org they act in) ---

    /** Finds an agent of the org (undefined when absent or another org's). */
    async inOrg(orgId: string, id: string): Promise<AgentRow | undefined> {
      const a = await store().get(id);
      return a && a.orgId === orgId ? a : undefined;
    },
    byId: (id: string): Promise<AgentRow | undefined> => store().get(id),

    /** The project's persistent agent. */
    projectAgent: (projectId: string): Promise<AgentRow | undefined> => store().projectAgent(projectId),

    /** Creates a project's project agent (ACTIVE, level 1) without an audit entry of its own. */
    createProjectAgent(orgId: string, projectId: string, name: string): Promise<AgentRow> {
      return insertAgent({ orgId, projectId, name, type: 'project', autonomyLevel: 1, task: null });
    },

    /** Spawns an ephemeral agent for a project, recording agent_spawn by `by`. */
    spawn: (input: SpawnInput): Promise<AgentRow> =>
      uow.run(async () => {
        const row = await insertAgent({ orgId: input.orgId, projectId: input.projectId, name: input.name, type: input.type, autonomyLevel: input.autonomyLevel, task: input.task });
        await audit.append({
          orgId: input.orgId,
          ...input.by,
          action: 'agent_spawn',
          projectId: input.projectId,
          metadata: { agentId: row.id, type: row.type, task: row.task, ...input.metadata },
        });
        return row;
      }),

    /** Removes every agent of a project, one agent_terminate each; returns their ids. */
    async terminateForProject(orgId: string, projectId: string, by: Actor): Promise<string[]> {
      const agents = (await store().ofProject(projectId)).filter((a) => a.orgId === orgId);
      for (const a of agents) await removeTx(a, by, 'project_deleted');
      return agents.map((a) => a.id);
    },

    // One statement each: committed when it returns outside a unit, and inside one the event
    // waits for the unit's commit anyway (emit goes through afterCommit).
    async setProject(id: string, projectId: string | null): Promise<void> {
      await store().setProject(id, projectId, now());
      await updated(id);
    },
    async countStat(id: string, stat: StatName, n = 1): Promise<void> {
      await store().addStat(id, stat, n, now());
      await updated(id);
    },
    touch: (id: string): Promise<void> => store().touch(id, now()),
    inStatus: (status: AgentStatus): Promise<AgentRow[]> => store().inStatus(status),
  };
}

export type AgentsService = ReturnType<typeof createAgentsService>;
