import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { BusMessage, EventBus } from './bus.js';

const CHANNEL = 'codespar_events';
/** NOTIFY refuses payloads of 8,000 bytes or more: larger messages travel in base64 pieces. */
const PIECE_BYTES = 5_000;
const MAX_PAYLOAD_BYTES = 7_900;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;
/** Pieces of a message whose other pieces never came (a lost connection) are dropped after this. */
const PIECES_TTL_MS = 30_000;
/** Payloads sent in one statement at most (each is a bind parameter). */
const MAX_BATCH = 200;

type Wire = { s: number } | { e: unknown } | { p: string; i: number; n: number; d: string };

/** One message as NOTIFY payloads: one when it fits, else pieces reassembled by id on arrival. */
export function toPayloads(message: BusMessage): string[] {
  const json = JSON.stringify(message.kind === 'audit' ? { s: message.seq } : { e: message.event });
  if (Buffer.byteLength(json) <= MAX_PAYLOAD_BYTES) return [json];
  const bytes = Buffer.from(json);
  const id = randomUUID();
  const n = Math.ceil(bytes.length / PIECE_BYTES);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(JSON.stringify({ p: id, i, n, d: bytes.subarray(i * PIECE_BYTES, (i + 1) * PIECE_BYTES).toString('base64') }));
  return out;
}

/** Reassembles pieces; answers the message once complete (undefined meanwhile, or for noise). */
export function createAssembler(now: () => number = Date.now) {
  const partial = new Map<string, { parts: string[]; got: number; since: number }>();
  return (payload: string): BusMessage | undefined => {
    let wire: Wire;
    try {
      wire = JSON.parse(payload) as Wire;
    } catch {
      return undefined;
    }
    if ('s' in wire && Number.isSafeInteger(wire.s)) return { kind: 'audit', seq: wire.s };
    if ('e' in wire) return { kind: 'event', event: wire.e as never };
    if (!('p' in wire)) return undefined;
    for (const [id, p] of partial) if (now() - p.since > PIECES_TTL_MS) partial.delete(id);
    const entry = partial.get(wire.p) ?? { parts: new Array<string>(wire.n).fill(''), got: 0, since: now() };
    if (entry.parts[wire.i] === '') entry.got++;
    entry.parts[wire.i] = wire.d;
    partial.set(wire.p, entry);
    if (entry.got < wire.n) return undefined;
    partial.delete(wire.p);
    const json = Buffer.concat(entry.parts.map((d) => Buffer.from(d, 'base64'))).toString('utf8');
    return createAssembler(now)(json);
  };
}

/**
 * LISTEN/NOTIFY. Publishing is pg_notify statements, one at a time and in order, on a dedicated
 * connection; listening holds another dedicated client
 * (never a pool connection, which would be handed to other work), opened on the first subscribe and
 * reopened with a growing delay after a loss; each reopening is reported as a gap.
 */
export function createPgBus(opts: { url: string; onError?: (err: unknown) => void }): EventBus {
  const listeners = new Set<{ fn: (m: BusMessage) => void; onGap?: () => void }>();
  const assemble = createAssembler();
  let client: pg.Client | undefined;
  let closed = false;
  let starting = false;
  let delay = RECONNECT_MIN_MS;
  let timer: NodeJS.Timeout | undefined;

  const deliver = (m: BusMessage) => {
    for (const l of listeners) {
      try {
        l.fn(m);
      } catch {
        // One subscriber's failure is not the others'.
      }
    }
  };

  async function connect(): Promise<void> {
    if (closed || client || starting) return;
    starting = true;
    const c = new pg.Client({ connectionString: opts.url, application_name: 'codespar-api-events' });
    const lost = (err?: unknown) => {
      if (err) opts.onError?.(err);
      if (client !== c) return;
      client = undefined;
      c.removeAllListeners('notification');
      void c.end().catch(() => undefined);
      schedule();
    };
    c.on('error', lost);
    c.on('end', () => lost());
    c.on('notification', (n) => {
      const m = n.payload === undefined ? undefined : assemble(n.payload);
      if (m) deliver(m);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
      if (closed) {
        await c.end().catch(() => undefined);
        return;
      }
      client = c;
      delay = RECONNECT_MIN_MS;
      // Whatever was published while no one listened is for the audit readers to catch up on.
      for (const l of listeners) l.onGap?.();
    } catch (err) {
      opts.onError?.(err);
      await c.end().catch(() => undefined);
      schedule();
    } finally {
      starting = false;
    }
  }

  function schedule(): void {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
    timer.unref();
    delay = Math.min(delay * 2, RECONNECT_MAX_MS);
  }

  /**
   * Notifications go out on a connection of their own too, opened on first use: on the pool
   * they would queue in front of request work (a write's follow-up, such as the kept answer
   * of an idempotent request, would wait behind the events it caused).
   */
  let publisher: pg.Client | undefined;
  const publisherClient = (): pg.Client => {
    if (publisher) return publisher;
    const c = new pg.Client({ connectionString: opts.url, application_name: 'codespar-api-events-out' });
    const drop = (err?: unknown) => {
      if (err) opts.onError?.(err);
      if (publisher === c) publisher = undefined;
      void c.end().catch(() => undefined);
    };
    c.on('error', drop);
    c.on('end', () => drop());
    c.connect().catch(drop);
    publisher = c;
    return c;
  };

  /**
   * One statement in flight on the publishing connection at a time (a client runs its queries
   * one after another anyway): what was published meanwhile goes out together in the next one,
   * in order. A statement is one transaction, and PostgreSQL folds identical payloads of one
   * transaction into one notification, so a payload equal to one already in the batch waits
   * for the next statement.
   */
  let waiting: string[] = [];
  let sending = false;
  const send = (): void => {
    if (sending || closed || waiting.length === 0) return;
    const batch: string[] = [];
    const seen = new Set<string>();
    let i = 0;
    for (; i < waiting.length && batch.length < MAX_BATCH; i++) {
      const payload = waiting[i]!;
      if (seen.has(payload)) break;
      seen.add(payload);
      batch.push(payload);
    }
    waiting = waiting.slice(i);
    sending = true;
    const text = `SELECT ${batch.map((_, n) => `pg_notify('${CHANNEL}', $${n + 1})`).join(', ')}`;
    publisherClient()
      .query(text, batch)
      .catch((err: unknown) => opts.onError?.(err))
      .finally(() => {
        sending = false;
        send();
      });
  };

  return {
    publish(message) {
      if (closed) return;
      waiting.push(...toPayloads(message));
      send();
    },
    subscribe(fn, onGap) {
      const l = { fn, onGap };
      listeners.add(l);
      void connect();
      return () => void listeners.delete(l);
    },
    /** Test hook as much as shutdown: the listening connection goes, the pool stays the caller's. */
    async close() {
      closed = true;
      waiting = [];
      if (timer) clearTimeout(timer);
      listeners.clear();
      const c = client;
      client = undefined;
      const out = publisher;
      publisher = undefined;
      await Promise.all([c?.end().catch(() => undefined), out?.end().catch(() => undefined)]);
    },
  };
}
