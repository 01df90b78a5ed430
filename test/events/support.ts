import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

/** One parsed SSE frame (comments are counted, not kept as frames). */
export interface Frame {
  id?: string;
  event?: string;
  data?: { type: string; orgId: string | null; at: string; data: Record<string, unknown> };
  raw: string;
}

export interface Stream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Text received before the first frame arrived: what the server sent at once. */
  first: string;
  frames: Frame[];
  comments: string[];
  /** JSON error body when the answer was not a stream. */
  body?: { error: string; code: string; status: number };
  /** Resolves with the first frame (from the start) matching `pred`, waiting for it if needed. */
  next(pred: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Resolves once a comment matching `pred` arrived. */
  comment(pred: (c: string) => boolean, timeoutMs?: number): Promise<string>;
  ended: Promise<void>;
  close(): void;
}

export async function listen(app: Express): Promise<{ base: string; server: http.Server; close: () => Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function parse(block: string): Frame | string {
  const f: Frame = { raw: block };
  const comments: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comments.push(line.slice(1).trim());
    else if (line.startsWith('id: ')) f.id = line.slice(4);
    else if (line.startsWith('event: ')) f.event = line.slice(7);
    else if (line.startsWith('data: ')) f.data = JSON.parse(line.slice(6)) as Frame['data'];
  }
  return f.event === undefined ? comments.join('\n') : f;
}

/** Opens GET `path` and reads it as an event stream; resolves once the headers are in. */
export function openStream(base: string, path: string, headers: Record<string, string> = {}): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${path}`, { headers }, (res) => {
      const frames: Frame[] = [];
      const comments: string[] = [];
      const waiters = new Set<() => void>();
      let buf = '';
      let first = '';
      let sawFrame = false;
      const ended = new Promise<void>((r) => res.on('close', () => { waiters.forEach((w) => w()); r(); }));
      const stream: Stream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        get first() {
          return first;
        },
        frames,
        comments,
        next(pred, timeoutMs = 5000) {
          return waitFor(() => frames.find(pred), timeoutMs, 'frame');
        },
        comment(pred, timeoutMs = 5000) {
          return waitFor(() => comments.find(pred), timeoutMs, 'comment');
        },
        ended,
        close: () => req.destroy(),
      };
      function waitFor<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
        const hit = find();
        if (hit !== undefined) return Promise.resolve(hit);
        return new Promise<T>((ok, fail) => {
          const check = () => {
            const h = find();
            if (h !== undefined) {
              waiters.delete(check);
              clearTimeout(t);
              ok(h);
            } else if (res.closed) {
              waiters.delete(check);
              clearTimeout(t);
              fail(new Error(`stream ended without the ${what}; got ${frames.map((f) => f.event).join(',')}`));
            }
          };
          const t = setTimeout(() => {
            waiters.delete(check);
            fail(new Error(`no such ${what} within ${timeoutMs} ms; got ${frames.map((f) => f.event).join(',')}`));
          }, timeoutMs);
          waiters.add(check);
        });
      }
      res.setEncoding('utf8');
      if (!String(res.headers['content-type']).startsWith('text/event-stream')) {
        let text = '';
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ ...stream, body: JSON.parse(text) as Stream['body'] }));
        return;
      }
      res.on('data', (chunk: string) => {
        if (!sawFrame) first += chunk;
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const parsed = parse(block);
          if (typeof parsed === 'string') comments.push(...parsed.split('\n'));
          else {
            sawFrame = true;
            frames.push(parsed);
          }
        }
        waiters.forEach((w) => w());
      });
      resolve(stream);
    });
    req.on('error', reject);
  });
}
