import { rowShape } from '../db/row-shape.js';
import type { AgentStatus, AgentType, StatName } from './agents.schemas.js';

export interface AgentRow {
  id: string;
  orgId: string;
  projectId: string | null;
  name: string;
  type: AgentType;
  status: AgentStatus;
  autonomyLevel: number;
  task: string | null;
  startedAt: string;
  lastActivity: string;
  createdAt: string;
  messagesProcessed: number;
  tasksCompleted: number;
  reviewsPerformed: number;
  deploysTriggered: number;
  incidentsHandled: number;
}

/** `orgId` null lists every org (the operator's view); other fields narrow when present. */
/** How an `agents` row reads as an AgentRow, on either engine. */
export const AGENT_ROW = rowShape<AgentRow>({
  id: 'id',
  orgId: 'org_id',
  projectId: 'project_id',
  name: 'name',
  type: 'type',
  status: 'status',
  autonomyLevel: 'autonomy_level',
  task: 'task',
  startedAt: 'started_at',
  lastActivity: 'last_activity',
  createdAt: 'created_at',
  messagesProcessed: 'messages_processed',
  tasksCompleted: 'tasks_completed',
  reviewsPerformed: 'reviews_performed',
  deploysTriggered: 'deploys_triggered',
  incidentsHandled: 'incidents_handled',
});

/** `orgId` null lists every org (the operator's view); other fields narrow when present. */
export interface AgentFilter {
  orgId: string | null;
  type?: AgentType;
  status?: AgentStatus;
  projectId?: string;
}

/**
 * Agents, one row each. Lists are in creation order, ties broken by insertion order.
 * Counters (`addStat`) are incremented by the database, in the caller's unit of work.
 */
export interface AgentsRepository {
  get(id: string): Promise<AgentRow | undefined>;
  /** False, writing nothing, when the id is taken (see insertWithFreshId). */
  insert(a: AgentRow): Promise<boolean>;
  list(f: AgentFilter): Promise<AgentRow[]>;
  setStatus(id: string, status: AgentStatus, at: string): Promise<void>;
  /** Back to ACTIVE with a new start time (`at` is both startedAt and lastActivity). */
  restart(id: string, at: string): Promise<void>;
  setLevel(id: string, level: number, at: string): Promise<void>;
  setProject(id: string, projectId: string | null, at: string): Promise<void>;
  touch(id: string, at: string): Promise<void>;
  /** True when a row was removed. */
  remove(id: string): Promise<boolean>;
  /** The project's first project-type agent. */
  projectAgent(projectId: string): Promise<AgentRow | undefined>;
  ofProject(projectId: string): Promise<AgentRow[]>;
  inStatus(status: AgentStatus): Promise<AgentRow[]>;
  addStat(id: string, stat: StatName, n: number, at: string): Promise<void>;
}

/** The column each agent counter is stored in, the same on every engine. */
export const STAT_COLUMN: Record<StatName, string> = {
  messagesProcessed: 'messages_processed',
  tasksCompleted: 'tasks_completed',
  reviewsPerformed: 'reviews_performed',
  deploysTriggered: 'deploys_triggered',
  incidentsHandled: 'incidents_handled',
};
