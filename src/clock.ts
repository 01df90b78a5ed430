export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests move by hand, so nothing ever waits for real time. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.ms);
  }
  set(at: Date | string): void {
    this.ms = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export const isoNow = (clock: Clock): string => clock.now().toISOString();

/**
 * Runs `fn(now)` at most once per `intervalMs` of the injected clock (housekeeping such as
 * pruning expired rows, piggybacked on requests instead of a timer).
 */
export function everyInterval(clock: Clock, intervalMs: number, fn: (now: Date) => unknown): () => void {
  let last = Number.NEGATIVE_INFINITY;
  return () => {
    const now = clock.now();
    if (now.getTime() - last < intervalMs) return;
    last = now.getTime();
    // Housekeeping is best effort: a failed run is retried at the next interval.
    const done = fn(now);
    if (done instanceof Promise) done.catch(() => undefined);
  };
}
