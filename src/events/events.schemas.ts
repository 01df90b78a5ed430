import { z, type ZodType } from 'zod';
import { AuditEntry } from '../audit/audit.schemas.js';
import { Agent } from '../agents/agents.schemas.js';
import { Project } from '../projects/projects.schemas.js';
import { Deploy } from '../deploys/deploys.schemas.js';
import { Approval } from '../approvals/approvals.schemas.js';
import { TaskRunResult } from '../scheduler/scheduler.schemas.js';
import { CHANNEL_STATUSES } from '../channels/channels.schemas.js';
import { WebhookResponse } from '../webhooks/webhooks.routes.js';
import { EVENT_TYPES, type EventType } from './events.types.js';

const TypeList = z
  .string()
  .max(1000)
  .transform((s) => s.split(','))
  .pipe(z.array(z.enum(EVENT_TYPES, { error: `Unknown event type. Valid types: ${EVENT_TYPES.join(', ')}` })));

export const EventsQuery = z.object({
  types: TypeList.optional(),
  lastEventId: z.string().max(100).optional(),
});
export type EventsQuery = z.infer<typeof EventsQuery>;

const Deleted = z.object({ id: z.string() });
const webhookShape = WebhookResponse.shape;

/** What each event's `data` holds, for the OpenAPI document (one component per type). */
export const EVENT_DATA: Record<EventType, ZodType> = {
  'audit.appended': AuditEntry,
  'agent.created': Agent,
  'agent.updated': Agent,
  'agent.deleted': Deleted,
  'project.created': Project,
  'project.updated': Project,
  'project.deleted': Deleted,
  'ci.event': z.object({ ciEvent: webhookShape.ciEvent.unwrap(), outcomes: webhookShape.outcomes.unwrap() }),
  'deploy.status': Deploy,
  'approval.requested': Approval,
  'approval.updated': Approval,
  'scheduler.run': TaskRunResult,
  'channel.status': z.object({ name: z.string(), status: z.enum(CHANNEL_STATUSES) }),
};

/** The JSON on a frame's `data:` line. */
export const eventEnvelope = (type: EventType) =>
  z.object({ type: z.literal(type), orgId: z.string().nullable(), at: z.string(), data: EVENT_DATA[type] });
