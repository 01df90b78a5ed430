import { AppError, badRequest, retryLater } from '../http/errors.js';
import type { OrgScope } from '../http/org-scope.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Logger } from '../logger.js';
import { decodeCursor } from './cursor.js';
import type { EventHub } from './events.hub.js';
import { frameOf, createSseWriter, type EncodeFrames, type SseSink, type SseWriter } from './sse-writer.js';
import { auditEvent } from './events.hub.js';
import type { EventType } from './events.types.js';

export const MAX_STREAMS_PER_IP = 20;
/** A client with this much waiting for it is disconnected (it resumes from its last cursor). */
export const MAX_PENDING_BYTES = 1024 * 1024;
const REPLAY_PAGE = 200;
/**
 * Frames for all streams are written together at most this often when events come fast (at
 * once when they come one by one): one write per stream per flush instead of one per frame,
 * which is what lets a process serve a thousand streams under hundreds of writes a second.
 */
export const FLUSH_MS = 50;

/**
 * Gathers the streams that have frames queued and flushes them together. Streams that queued
 * the very same frames (the streams of one scope, given each frame as one shared string) are
 * given one buffer: the frames are encoded once per flush, not once per stream.
 */
export function createFrameFlusher() {
  const due: Array<(encode: EncodeFrames) => void> = [];
  let timer: NodeJS.Timeout | undefined;
  let last = 0;
  const run = () => {
    timer = undefined;
    last = Date.now();
    const encoded = new Map<string, { frames: readonly string[]; bytes: Buffer }>();
    const encode: EncodeFrames = (frames) => {
      const seen = encoded.get(frames[0]!);
      if (seen && seen.frames.length === frames.length && seen.frames.every((f, i) => f === frames[i])) return seen.bytes;
      const bytes = Buffer.from(frames.join(''));
      if (!seen) encoded.set(frames[0]!, { frames, bytes });
      return bytes;
    };
    for (const flush of due.splice(0)) flush(encode);
  };
  return (flush: (encode: EncodeFrames) => void) => {
    due.push(flush);
    timer ??= setTimeout(run, Math.max(0, last + FLUSH_MS - Date.now()));
  };
}

export interface OpenRequest {
  scope: OrgScope;
  types: EventType[] | undefined;
  /** Last-Event-ID header, else ?lastEventId=; empty counts as absent. */
  lastEventId: string | undefined;
  ip: string;
}

export interface EventsServiceDeps {
  hub: EventHub;
  heartbeatMs: number;
  maxStreams: number;
  metrics?: Pick<Metrics, 'eventStreamOpened' | 'eventStreamClosed' | 'rateLimited'>;
  logger?: Logger;
}

const tooMany = (message: string) => retryLater('RATE_LIMITED', message);

export function createEventsService({ hub, heartbeatMs, maxStreams, metrics, logger }: EventsServiceDeps) {
  const open = new Set<SseWriter>();
  const schedule = createFrameFlusher();
  const perIp = new Map<string, number>();
  let stopping = false;

  function admit(ip: string): () => void {
    if (stopping) throw retryLater('SERVER_BUSY', 'The server is shutting down');
    if (open.size >= maxStreams) {
      metrics?.rateLimited('events');
      throw tooMany('Too many open event streams on this server');
    }
    const n = perIp.get(ip) ?? 0;
    if (n >= MAX_STREAMS_PER_IP) {
      metrics?.rateLimited('events');
      throw tooMany(`Too many open event streams from this address (at most ${MAX_STREAMS_PER_IP})`);
    }
    perIp.set(ip, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (perIp.get(ip) ?? 1) - 1;
      if (left > 0) perIp.set(ip, left);
      else perIp.delete(ip);
    };
  }

  /** Replays the scope's entries after `from`, in order, pausing for a slow reader; the last position sent. */
  async function replay(writer: SseWriter, orgId: string | null, from: number): Promise<number> {
    let last = from;
    for (;;) {
      const rows = await hub.read(orgId, last, REPLAY_PAGE);
      if (rows.length === 0) return last;
      // One write per page, then wait until the client has taken it: a replay never piles up.
      if (!writer.write(rows.map(({ seq, entry }) => frameOf(auditEvent(seq, entry))).join(''))) await writer.drained();
      last = rows.at(-1)!.seq;
      if (writer.closed || rows.length < REPLAY_PAGE) return last;
    }
  }

  return {
    /**
     * Checks the request (cursor 400, limits 429), then opens the stream on the sink `start`
     * gives: replay after the cursor, then live, with no entry skipped or repeated at the seam.
     */
    async open(req: OpenRequest, start: () => SseSink): Promise<void> {
      const raw = req.lastEventId === '' ? undefined : req.lastEventId;
      const cursor = raw === undefined ? undefined : decodeCursor(raw);
      if (raw !== undefined && cursor === undefined) throw badRequest('INVALID_PARAMETER', 'Invalid Last-Event-ID: not an event cursor of this server');
      const release = admit(req.ip);
      const orgId = req.scope.orgId;
      const types = req.types ? new Set(req.types) : null;
      const replaying = cursor !== undefined && (types === null || types.has('audit.appended'));
      /** Frames that arrive while the replay runs, sent after it (those it already sent are skipped). */
      let held: Array<[string, number | undefined]> | undefined = replaying ? [] : undefined;
      let heldBytes = 0;
      let sent = 0;
      let unsubscribe = () => undefined as void;
      const writer = createSseWriter(start(), {
        heartbeatMs,
        maxPendingBytes: MAX_PENDING_BYTES,
        schedule,
        onClose: () => {
          unsubscribe();
          open.delete(writer);
          release();
          held = undefined;
          metrics?.eventStreamClosed();
        },
      });
      open.add(writer);
      metrics?.eventStreamOpened();
      const deliver = (frame: string, seq: number | undefined) => {
        if (held) {
          held.push([frame, seq]);
          heldBytes += frame.length;
          if (heldBytes > MAX_PENDING_BYTES) writer.close('slow');
          return;
        }
        if (seq !== undefined && seq <= sent) return;
        if (seq !== undefined) sent = seq;
        writer.send(frame);
      };
      try {
        const sub = await hub.subscribe({ orgId, types, deliver });
        unsubscribe = sub.unsubscribe;
        if (writer.closed) return void sub.unsubscribe();
        sent = sub.position;
        if (!replaying) return;
        // A cursor past the newest entry (another database's) starts at the newest one.
        sent = await replay(writer, orgId, Math.min(cursor, sub.position));
        const pending = held ?? [];
        held = undefined;
        for (const [frame, seq] of pending) deliver(frame, seq);
      } catch (err) {
        // Headers are out, so no error body: the stream ends and the client retries with its cursor.
        logger?.warn({ err }, 'event stream could not start');
        writer.close('slow');
      }
    },
    /** Shutdown: every stream ends before the server stops accepting its last requests. */
    closeAll(): void {
      stopping = true;
      for (const w of [...open]) w.close('shutdown');
    },
    openCount: () => open.size,
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
