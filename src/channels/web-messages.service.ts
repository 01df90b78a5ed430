import type { Clock } from '../clock.js';
import type { Db } from '../db/open.js';
import type { AuditService } from '../audit/audit.service.js';
import { notFound } from '../http/errors.js';
import { writeOrg, type OrgScope } from '../http/org-scope.js';
import type { WebMessageBody } from './channels.schemas.js';

/** What the web channel needs from other domains; services.ts wires each port. */
export interface WebMessagesPorts {
  /** Identity domain: the identity behind a channel user, created on first sight. */
  resolveChannelUser(user: { type: 'web'; userId: string; username?: string; at: string; orgId: string }): string;
  /** Memory domain. */
  recordConversation(c: {
    orgId: string;
    projectId: string | null;
    channel: string;
    userId: string;
    username: string | null;
    text: string;
    receivedAt: string;
  }): { id: string };
  addDocument(d: { orgId: string; projectId: string | null; source: string; text: string }): unknown;
  /** Projects domain: true when the project exists in that org. */
  projectExists(orgId: string, projectId: string): boolean;
  /** Agents domain: counts one message on the project's agent (messagesProcessed). */
  recordMessage(orgId: string, projectId: string): void;
}

export interface WebMessagesServiceDeps extends WebMessagesPorts {
  db: Db;
  audit: AuditService;
  clock: Clock;
}

export const WEB_MESSAGE_SOURCE = 'web-message';

export function createWebMessagesService(deps: WebMessagesServiceDeps) {
  const { db, audit, clock } = deps;

  const receiveTx = db.transaction((orgId: string, actor: string, body: WebMessageBody, receivedAt: string) => {
    const projectId = body.projectId ?? null;
    const identityId = deps.resolveChannelUser({ type: 'web', userId: body.userId, username: body.username, at: receivedAt, orgId });
    const { id: messageId } = deps.recordConversation({
      orgId,
      projectId,
      channel: 'web',
      userId: body.userId,
      username: body.username ?? null,
      text: body.text,
      receivedAt,
    });
    deps.addDocument({ orgId, projectId, source: WEB_MESSAGE_SOURCE, text: body.text });
    if (projectId !== null) deps.recordMessage(orgId, projectId);
    // The text stays out of the trail: it is user content, already kept in conversations.
    audit.append({ orgId, actorType: 'user', actorId: actor, action: 'message', metadata: { channel: 'web', messageId, identityId }, projectId });
    return { messageId, identityId, receivedAt };
  });

  return {
    /** Stores, attributes and embeds one inbound message, in the org the request writes to. */
    receive(scope: OrgScope, actor: string, body: WebMessageBody): { messageId: string; identityId: string; receivedAt: string } {
      const orgId = writeOrg(scope);
      if (body.projectId !== undefined && !deps.projectExists(orgId, body.projectId)) throw notFound('Project');
      return receiveTx(orgId, actor, body, clock.now().toISOString());
    },
  };
}

export type WebMessagesService = ReturnType<typeof createWebMessagesService>;
