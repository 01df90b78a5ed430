import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/events/cursor.js';
import { createSseWriter, frameOf, type SseSink } from '../../src/events/sse-writer.js';
import { createAssembler, toPayloads } from '../../src/events/bus.pg.js';
import { reaches } from '../../src/events/events.hub.js';
import { createFrameFlusher, FLUSH_MS } from '../../src/events/events.service.js';
import { EVENT_TYPES, INSTANCE_TYPES } from '../../src/events/events.types.js';

describe('event cursors', () => {
  it('decode what they encode, for every safe position', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (seq) => decodeCursor(encodeCursor(seq)) === seq));
  });

  it('refuse anything this server does not issue', () => {
    for (const bad of ['', ' 1', '1 ', '01', '-1', '+1', '1.0', '1e3', 'abc', '0x10', '12345678901234567', '٣']) expect(decodeCursor(bad), bad).toBeUndefined();
    expect(decodeCursor('0')).toBe(0);
    expect(decodeCursor('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeCursor('9999999999999999')).toBeUndefined();
  });
});

/** A sink whose client takes nothing: what is written stays pending. */
function stalledSink() {
  const ev = new EventEmitter();
  const sink = {
    written: [] as string[],
    pending: 0,
    ended: false,
    destroyed: false,
    write(chunk: string) {
      sink.written.push(chunk);
      sink.pending += chunk.length;
      return false;
    },
    once: (e: string, fn: () => void) => void ev.once(e, fn),
    end: () => void (sink.ended = true),
    destroy: () => void (sink.destroyed = true),
    emit: (e: string) => ev.emit(e),
  };
  return sink satisfies SseSink & Record<string, unknown>;
}

describe('the SSE writer', () => {
  it('writes the retry line and a comment first', () => {
    const sink = stalledSink();
    const w = createSseWriter(sink, { heartbeatMs: 60_000, maxPendingBytes: 1000, onClose: () => undefined });
    expect(sink.written[0]).toBe('retry: 3000\n: connected\n\n');
    w.close('client');
  });

  it('cuts a client off (destroying the connection) when a frame would pass the pending limit, and only then', () => {
    const sink = stalledSink();
    const reasons: string[] = [];
    const w = createSseWriter(sink, { heartbeatMs: 60_000, maxPendingBytes: 100, onClose: (r) => reasons.push(r) });
    sink.pending = 0;
    w.send('x'.repeat(100));
    expect(w.closed).toBe(false);
    w.send('y');
    expect(w.closed).toBe(true);
    expect(sink.destroyed).toBe(true);
    expect(reasons).toEqual(['slow']);
    expect(w.send('z')).toBe(false);
    expect(sink.written.at(-1)).toBe('x'.repeat(100));
  });

  it('judges the limit by what waits now: a client that took its bytes since the last write is not cut off', () => {
    const sink = stalledSink();
    const reasons: string[] = [];
    let flushes: Array<(encode: (frames: readonly string[]) => string) => void> = [];
    const w = createSseWriter(sink, { heartbeatMs: 60_000, maxPendingBytes: 100, schedule: (f) => void flushes.push(f), onClose: (r) => reasons.push(r) });
    const flush = () => {
      flushes.forEach((f) => f((frames) => frames.join('')));
      flushes = [];
    };
    sink.pending = 0;
    w.send('a'.repeat(60));
    flush();
    expect(sink.pending).toBe(60);
    // The client takes those 60 bytes; 90 more fit.
    sink.pending = 0;
    w.send('b'.repeat(50));
    w.send('c'.repeat(40));
    expect(w.closed).toBe(false);
    flush();
    expect(sink.written.at(-1)).toBe('b'.repeat(50) + 'c'.repeat(40));
    // This client takes nothing more: 90 wait, and 11 more would pass 100.
    w.send('d'.repeat(10));
    expect(w.closed).toBe(false);
    w.send('e');
    expect(w.closed).toBe(true);
    expect(reasons).toEqual(['slow']);
  });

  it('ends the response cleanly on shutdown and reports a client that went away once', () => {
    const sink = stalledSink();
    const reasons: string[] = [];
    const w = createSseWriter(sink, { heartbeatMs: 60_000, maxPendingBytes: 100, onClose: (r) => reasons.push(r) });
    w.close('shutdown');
    sink.emit('close');
    expect(sink.ended).toBe(true);
    expect(sink.destroyed).toBe(false);
    expect(reasons).toEqual(['shutdown']);
  });

  it('frames an event as one data line, with an id only when it has a cursor', () => {
    const data = { text: 'two\nlines \u2028 and "quotes"' };
    expect(frameOf({ type: 'agent.created', orgId: 'org-a', at: 'T', data })).toBe(`event: agent.created\ndata: ${JSON.stringify({ type: 'agent.created', orgId: 'org-a', at: 'T', data })}\n\n`);
    expect(frameOf({ type: 'audit.appended', orgId: null, at: 'T', data: {}, cursor: '42' }).startsWith('id: 42\nevent: audit.appended\ndata: {')).toBe(true);
  });
});

describe('NOTIFY payloads', () => {
  it('travel whole when small and in pieces under 8,000 bytes each when large, and come back identical', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30_000 }), fc.boolean(), (text, reversed) => {
        const message = { kind: 'event' as const, event: { type: 'ci.event' as const, orgId: 'org-a', at: 'T', data: { text } } };
        const payloads = toPayloads(message);
        for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(8000);
        const assemble = createAssembler();
        const order = reversed ? [...payloads].reverse() : payloads;
        const out = order.map(assemble).filter((m) => m !== undefined);
        expect(out).toEqual([JSON.parse(JSON.stringify(message))]);
      }),
      { numRuns: 50 },
    );
  });

  it('carry an audit position as a position, and ignore noise', () => {
    const assemble = createAssembler();
    expect(toPayloads({ kind: 'audit', seq: 7 })).toEqual(['{"s":7}']);
    expect(assemble('{"s":7}')).toEqual({ kind: 'audit', seq: 7 });
    expect(assemble('not json')).toBeUndefined();
    expect(assemble('{"s":"7"}')).toBeUndefined();
    expect(assemble('{}')).toBeUndefined();
  });
});

describe('which stream an event reaches', () => {
  it('org streams get their org’s events only, never instance events; unscoped streams get everything; types filter', () => {
    for (const type of EVENT_TYPES) {
      const orgId = INSTANCE_TYPES.has(type) ? null : 'org-a';
      expect(reaches({ orgId: null, types: null }, { type, orgId })).toBe(true);
      expect(reaches({ orgId: 'org-a', types: null }, { type, orgId })).toBe(!INSTANCE_TYPES.has(type));
      expect(reaches({ orgId: 'org-b', types: null }, { type, orgId })).toBe(false);
      expect(reaches({ orgId: null, types: new Set([type]) }, { type, orgId })).toBe(true);
      expect(reaches({ orgId: null, types: new Set() }, { type, orgId })).toBe(false);
    }
  });
});

describe('the frame flusher', () => {
  it('gives streams that queued the same frames one buffer, and a stream with other frames its own', async () => {
    const schedule = createFrameFlusher();
    const sinks = [stalledSink(), stalledSink(), stalledSink()];
    const writers = sinks.map((sink) => createSseWriter(sink, { heartbeatMs: 60_000, maxPendingBytes: 1_000_000, schedule, onClose: () => undefined }));
    const one = frameOf({ type: 'agent.created', orgId: 'a', at: 'now', data: { n: 1 } });
    const two = frameOf({ type: 'agent.created', orgId: 'a', at: 'now', data: { n: 'é' } });
    for (const w of writers.slice(0, 2)) [one, two].forEach((f) => w.send(f));
    writers[2]!.send(one);
    await new Promise((r) => setTimeout(r, FLUSH_MS * 3));
    const [a, b, c] = sinks.map((s) => s.written.at(-1) as unknown as Buffer);
    expect(a).toBeInstanceOf(Buffer);
    expect(a).toBe(b);
    expect(a!.toString()).toBe(one + two);
    expect(c).not.toBe(a);
    expect(c!.toString()).toBe(one);
  });
});
