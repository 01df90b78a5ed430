/** Every live event type, in the order the documentation lists them. */
export const EVENT_TYPES = [
  'audit.appended',
  'agent.created',
  'agent.updated',
  'agent.deleted',
  'project.created',
  'project.updated',
  'project.deleted',
  'ci.event',
  'deploy.status',
  'approval.requested',
  'approval.updated',
  'scheduler.run',
  'channel.status',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Events about the instance rather than an org: they reach unscoped streams only. */
export const INSTANCE_TYPES: ReadonlySet<EventType> = new Set<EventType>(['scheduler.run', 'channel.status']);

/** One event as a stream frame carries it; `cursor` only on audit.appended (its position in the log). */
export interface LiveEvent {
  type: EventType;
  orgId: string | null;
  at: string;
  data: unknown;
  cursor?: string;
}

/** Emits an event once the unit of work open where it is called commits (at once outside one). */
export type EmitPort = (type: EventType, orgId: string | null, data: unknown) => void;

export const noEmit: EmitPort = () => undefined;
