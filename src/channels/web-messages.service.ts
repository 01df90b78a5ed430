import type { Clock } from '../clock.js';
import type { UnitOfWork } from '../db/engine.js';
import type { AuditService } from '../audit/audit.service.js';
import { notFound } from '../http/errors.js';
import { writeOrg, type OrgScope } from '../http/org-scope.js';
import type { WebMessageBody } from './channels.schemas.js';

/** What the web channel needs from other domains; services.ts wires each port. */
export interface WebMessagesPorts {
  /** Identity domain: the identity behind a channel user, created on first sight. */
  resolveChannelUser(user: { type: 'web'; userId: string; username?: string; at: string; orgId: string }): Promise<string>;
  /** Memory domain. */
  recordConversation(c: {
    orgId: string;
    projectId: string | null;
    channel: string;
    userId: string;
    username: string | null;
    text: string;
    receivedAt: string;
  }): Promise<{ id: string }>;
  addDocument(d: { orgId: string; projectId: string | null; source: string; text: string }): unknown;
  /** Projects domain: true when the project exists in that org. */
  projectExists(orgId: string, projectId: string): Promise<boolean>;
  /** Agents domain: counts one message on the project's agent (messagesProcessed). */
  recordMessage(orgId: string, projectId: string): Promise<void>;
}

export interface WebMessagesServiceDeps extends WebMessagesPorts {
  uow: UnitOfWork;
  audit: AuditService;
  clock: Clock;
}

export const WEB_MESSAGE_SOURCE = 'web-message';

export function createWebMessagesService(deps: WebMessagesServiceDeps) {
  const { uow, audit, clock } = deps;

  const receiveTx = (orgId: string, actor: string, body: WebMessageBody, receivedAt: string) =>
    uow.run(async () => {
    const projectId = body.projectId ?? null;
    const identityId = await deps.resolveChannelUser({ type: 'web', userId: body.userId, username: body.username, at: receivedAt, orgId });
    const { id: messageId } = await deps.recordConversation({
      orgId,
      projectId,
      channel: 'web',
      userId: body.userId,
      username: body.username ?? null,
      text: body.text,
      receivedAt,
    });
    await deps.addDocument({ orgId, projectId, source: WEB_MESSAGE_SOURCE, text: body.text });
    if (projectId !== null) await deps.recordMessage(orgId, projectId);
    // The text stays out of the trail: it is user content, already kept in conversations.
    await audit.append({ orgId, actorType: 'user', actorId: actor, action: 'message', metadata: { channel: 'web', messageId, identityId }, projectId });
    return { messageId, identityId, receivedAt };
  });

  return {
    /** Stores, attributes and embeds one inbound message, in the org the request writes to. */
    async receive(scope: OrgScope, actor: string, body: WebMessageBody): Promise<{ messageId: string; identityId: string; receivedAt: string }> {
      const orgId = writeOrg(scope);
      if (body.projectId !== undefined && !(await deps.projectExists(orgId, body.projectId))) throw notFound('Project');
      return receiveTx(orgId, actor, body, clock.now().toISOString());
    },
  };
}

export type WebMessagesService = ReturnType<typeof createWebMessagesService>;
