import type { ServerResponse } from 'node:http';

/** What a stream writes to: the HTTP response in the server, anything writable in a unit test. */
export interface SseSink {
  /** False when the bytes had to be buffered (the client is behind). */
  write(chunk: string | Buffer): boolean;
  /** Bytes written but not yet taken by the client. */
  readonly pending: number;
  once(event: 'drain' | 'close', fn: () => void): void;
  /** Ends the response cleanly (shutdown). */
  end(): void;
  /** Drops the connection and whatever waits in its buffers (a client that stopped reading). */
  destroy(): void;
}

/** The bytes of queued frames; streams that queued the very same frames may be given the same buffer. */
export type EncodeFrames = (frames: readonly string[]) => string | Buffer;

export interface SseWriterOptions {
  heartbeatMs: number;
  /**
   * Asks for flush(encode) soon: frames queued meanwhile go out in one write. Without it
   * every frame is written at once.
   */
  schedule?: (flush: (encode: EncodeFrames) => void) => void;
  /** A client with this many bytes waiting for it is cut off. */
  maxPendingBytes: number;
  onClose: (reason: 'client' | 'slow' | 'shutdown') => void;
}

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache',
  // Proxies such as nginx would otherwise hold frames back to fill their buffers.
  'X-Accel-Buffering': 'no',
  Connection: 'keep-alive',
};

const CRLF = Buffer.from('\r\n');
/** Chunk-framed copies of shared frame buffers: a flush frames its bytes once for all the streams given them. */
const framedOf = new WeakMap<Buffer, Buffer>();

const frameChunk = (bytes: Buffer): Buffer => Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, CRLF]);

/** The bytes as one HTTP/1.1 chunk: size in hex, CRLF, the bytes, CRLF (never empty: that chunk ends the body). */
export function chunkOf(chunk: string | Buffer): Buffer {
  if (typeof chunk === 'string') return frameChunk(Buffer.from(chunk));
  let framed = framedOf.get(chunk);
  if (!framed) framedOf.set(chunk, (framed = frameChunk(chunk)));
  return framed;
}

/**
 * Opens the response as an event stream: the headers and the first bytes go out at once.
 *
 * Frames then go straight to the socket, framed as HTTP/1.1 chunks here, rather than through
 * `res.write`: a thousand streams under hundreds of events a second spend most of their time
 * in per-write work, and the response layer's share of a write (four writes into a corked
 * socket, uncorked on the next tick) is most of it. The response still ends the stream
 * (`res.end()` sends the last chunk). Where Node does not use chunked encoding (an HTTP/1.0
 * client reads until the connection closes), writes go through `res.write` as usual.
 */
export function responseSink(res: ServerResponse): SseSink {
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  const socket = res.socket;
  // Frames are small and latency matters more than packet count.
  socket?.setNoDelay(true);
  const raw = socket && res.chunkedEncoding ? socket : undefined;
  /** Where the bytes wait and whose 'drain' says the client took them. */
  const out = raw ?? res;
  return {
    write: raw
      ? (chunk) => {
          if (chunk.length === 0) return raw.writableLength === 0;
          return raw.writable ? raw.write(chunkOf(chunk)) : false;
        }
      : (chunk) => res.write(chunk),
    get pending() {
      return out.writableLength;
    },
    once: (event, fn) => void (event === 'drain' ? out.once('drain', fn) : res.once('close', fn)),
    end: () => res.end(),
    destroy: () => res.destroy(),
  };
}

/**
 * The writing side of one stream: the opening bytes, frames, a heartbeat comment every
 * `heartbeatMs`, and the cut-off. Frames are never dropped one by one (a dashboard would show
 * a wrong state without knowing it): a client too far behind is disconnected instead, and
 * resumes from its last cursor.
 */
export function createSseWriter(sink: SseSink, opts: SseWriterOptions) {
  let closed = false;
  /** Frames accepted but not yet written (see `schedule`), and their length. */
  let queued: string[] = [];
  let queuedLength = 0;
  /**
   * What waited for the client right after the last write: never less than what waits now
   * (between writes the client only takes bytes), so a frame that fits under it fits, and the
   * sink is asked again only near the limit. A thousand streams under hundreds of events a
   * second would otherwise ask it for every frame.
   */
  let pendingBound = 0;
  const put = (chunk: string | Buffer): boolean => {
    const ok = sink.write(chunk);
    pendingBound = sink.pending;
    return ok;
  };
  const flush = (encode: EncodeFrames = (frames) => frames.join('')) => {
    if (closed || queued.length === 0) return;
    const out = encode(queued);
    queued = [];
    queuedLength = 0;
    put(out);
  };
  const close = (reason: 'client' | 'slow' | 'shutdown') => {
    if (closed) return;
    if (reason === 'shutdown') flush();
    closed = true;
    queued = [];
    queuedLength = 0;
    clearInterval(beat);
    opts.onClose(reason);
    if (reason === 'slow') sink.destroy();
    else if (reason === 'shutdown') sink.end();
  };
  sink.once('close', () => close('client'));
  put('retry: 3000\n: connected\n\n');
  const beat = setInterval(() => {
    flush();
    if (!closed) put(': heartbeat\n\n');
  }, opts.heartbeatMs);
  beat.unref();

  return {
    get closed() {
      return closed;
    },
    /**
     * Writes a frame (or queues it for the next flush); cuts the client off instead when too
     * much already waits for it. False when the client is behind or gone.
     */
    send(frame: string): boolean {
      if (closed) return false;
      if (pendingBound + queuedLength + frame.length > opts.maxPendingBytes) {
        pendingBound = sink.pending;
        if (pendingBound + queuedLength + frame.length > opts.maxPendingBytes) {
          close('slow');
          return false;
        }
      }
      if (!opts.schedule) return put(frame);
      if (queued.length === 0) opts.schedule(flush);
      queued.push(frame);
      queuedLength += frame.length;
      return true;
    },
    /** Writes now, bypassing the queue (a replay page: already one write, and paced by drain). */
    write(chunk: string): boolean {
      if (closed) return false;
      flush();
      if (sink.pending + chunk.length > opts.maxPendingBytes && sink.pending > 0) {
        close('slow');
        return false;
      }
      return put(chunk);
    },
    /** Resolves once the client has taken what waits (or the stream is gone). */
    drained(): Promise<void> {
      if (closed || sink.pending === 0) return Promise.resolve();
      return new Promise((resolve) => {
        sink.once('drain', resolve);
        sink.once('close', resolve);
      });
    },
    close,
  };
}

export type SseWriter = ReturnType<typeof createSseWriter>;

/** One event as SSE lines: `id:` only for audit entries, so a browser's Last-Event-ID is always a cursor. */
export function frameOf(e: { type: string; orgId: string | null; at: string; data: unknown; cursor?: string }): string {
  const head = e.cursor === undefined ? '' : `id: ${e.cursor}\n`;
  return `${head}event: ${e.type}\ndata: ${JSON.stringify({ type: e.type, orgId: e.orgId, at: e.at, data: e.data })}\n\n`;
}
