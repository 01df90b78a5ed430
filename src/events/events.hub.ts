import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { AuditEntry } from '../audit/audit.schemas.js';
import type { BusMessage, EventBus } from './bus.js';
import { encodeCursor } from './cursor.js';
import { INSTANCE_TYPES, type EventType, type LiveEvent } from './events.types.js';
import { frameOf } from './sse-writer.js';

/** The audit log as the hub reads it (the audit service's own reads). */
export interface AuditTail {
  after(orgId: string | null, afterSeq: number, limit: number): Promise<Array<{ seq: number; entry: AuditEntry }>>;
  lastSeq(): Promise<number>;
}

/** One stream as the hub sees it: its scope, its types, and where its frames go. */
export interface Subscriber {
  /** The org whose events it gets; null: every org's plus the instance's. */
  orgId: string | null;
  types: ReadonlySet<EventType> | null;
  /** `seq` is the audit position of an audit.appended event. */
  deliver(frame: string, seq: number | undefined): void;
}

/** Streams of one scope that asked for the same types: whatever reaches one reaches them all. */
interface Group extends Pick<Subscriber, 'orgId' | 'types'> {
  streams: Set<Subscriber>;
}

const PAGE = 500;
const RETRY_MS = 1_000;

/** Whether an event may reach a subscriber: an org's events never reach another org's stream. */
export function reaches(sub: Pick<Subscriber, 'orgId' | 'types'>, e: Pick<LiveEvent, 'type' | 'orgId'>): boolean {
  if (sub.types && !sub.types.has(e.type)) return false;
  if (sub.orgId === null) return true;
  return e.orgId === sub.orgId && !INSTANCE_TYPES.has(e.type);
}

export const auditEvent = (seq: number, entry: AuditEntry): LiveEvent => ({
  type: 'audit.appended',
  orgId: entry.orgId,
  at: entry.timestamp,
  data: entry,
  cursor: encodeCursor(seq),
});

/**
 * The process's side of live events. Publishing goes through the bus (to every process);
 * audit entries travel as positions and are read here from the log in position order, one
 * read for all of this process's streams, so each stream sees the log as it is: in order,
 * complete, whichever process wrote it. Other events are delivered as they arrive.
 */
export function createEventHub({ bus, tail, clock, logger }: { bus: EventBus; tail: AuditTail; clock: Clock; logger: Logger }) {
  /**
   * Streams grouped by scope (org id; null: unscoped), then by the types they asked for:
   * an event visits the groups of its org and the unscoped ones, and the scope test runs
   * once per group, not once per stream.
   */
  const scopes = new Map<string | null, Map<string, Group>>();
  /** The last audit position dispatched; undefined until the hub listens. */
  let position: number | undefined;
  let starting: Promise<void> | undefined;
  let pulling = false;
  let again = false;
  let retry: NodeJS.Timeout | undefined;
  let listening = false;

  function dispatch(e: LiveEvent, seq?: number): void {
    let frame: string | undefined;
    const deliverTo = (groups: Map<string, Group> | undefined) => {
      if (!groups) return;
      for (const group of groups.values()) {
        if (!reaches(group, e)) continue;
        frame ??= frameOf(e);
        for (const sub of group.streams) {
          try {
            sub.deliver(frame, seq);
          } catch (err) {
            logger.warn({ err }, 'event stream delivery failed');
          }
        }
      }
    };
    deliverTo(scopes.get(null));
    if (e.orgId !== null) deliverTo(scopes.get(e.orgId));
  }

  /** Reads and dispatches every entry after `position`; one read at a time, repeated when woken meanwhile. */
  async function pull(): Promise<void> {
    if (position === undefined) return;
    if (pulling) {
      again = true;
      return;
    }
    pulling = true;
    try {
      do {
        again = false;
        for (;;) {
          const rows = await tail.after(null, position, PAGE);
          for (const { seq, entry } of rows) {
            position = seq;
            if (scopes.size > 0) dispatch(auditEvent(seq, entry), seq);
          }
          if (rows.length < PAGE) break;
        }
      } while (again);
    } catch (err) {
      logger.warn({ err }, 'could not read the audit log for live events; retrying');
      retry ??= setTimeout(() => {
        retry = undefined;
        void pull();
      }, RETRY_MS);
      retry.unref();
    } finally {
      pulling = false;
    }
  }

  const onMessage = (m: BusMessage) => {
    if (m.kind === 'event') return dispatch(m.event);
    // A wake-up for an entry already read (a read reaches the end of the log) needs no read.
    if (position !== undefined && m.seq <= position) return;
    // In one process the entry comes with its position, in commit order: no read needed,
    // unless a read is already catching up (it will dispatch this one too).
    if (m.entry && position !== undefined && !pulling && m.seq === position + 1) {
      position = m.seq;
      if (scopes.size > 0) dispatch(auditEvent(m.seq, m.entry), m.seq);
      return;
    }
    void pull();
  };

  /** Listens first, then reads where the log ends: an entry committed in between is caught by the wake-up it sends. */
  function start(): Promise<void> {
    return (starting ??= (async () => {
      // Once only: a start whose first read failed is tried again without a second listener.
      if (!listening) bus.subscribe(onMessage, () => void pull());
      listening = true;
      const last = await tail.lastSeq();
      position ??= last;
      await pull();
    })().catch((err: unknown) => {
      starting = undefined;
      throw err;
    }));
  }

  return {
    /** Call after commit only (see UnitOfWork.afterCommit). */
    publish(type: Exclude<EventType, 'audit.appended'>, orgId: string | null, data: unknown): void {
      // Both buses turn the event into JSON inside publish(), so `data` is read as committed.
      bus.publish({ kind: 'event', event: { type, orgId, at: clock.now().toISOString(), data } });
    },
    /**
     * Adds a stream. Resolves with the audit position it starts after: every entry up to it
     * was dispatched before the stream was added (a resume replays those from the log), every
     * later one reaches it live.
     */
    async subscribe(sub: Subscriber): Promise<{ position: number; unsubscribe: () => void }> {
      await start();
      let groups = scopes.get(sub.orgId);
      if (!groups) scopes.set(sub.orgId, (groups = new Map()));
      const key = sub.types === null ? '*' : [...sub.types].sort().join(',');
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { orgId: sub.orgId, types: sub.types, streams: new Set() }));
      group.streams.add(sub);
      // A group (and a scope) leaves its map when its last stream does: an empty one is never kept.
      const unsubscribe = () => {
        if (!group.streams.delete(sub) || group.streams.size > 0) return;
        groups.delete(key);
        if (groups.size === 0) scopes.delete(sub.orgId);
      };
      return { position: position!, unsubscribe };
    },
    read: (orgId: string | null, afterSeq: number, limit: number) => tail.after(orgId, afterSeq, limit),
  };
}

export type EventHub = ReturnType<typeof createEventHub>;
