import { afterEach, describe, expect, it } from 'vitest';
import cron from 'node-cron';
import { nextRunAfter, nominalInterval, parseCron } from '../../src/scheduler/scheduler.cron.js';

const next = (expression: string, after: string): string | null => nextRunAfter(parseCron(expression), new Date(after))?.toISOString() ?? null;

/** The first `count` occurrences after `after`. */
const series = (expression: string, after: string, count: number): string[] => {
  const fields = parseCron(expression);
  const out: string[] = [];
  let at = new Date(after);
  for (let i = 0; i < count; i++) {
    at = nextRunAfter(fields, at)!;
    out.push(at.toISOString());
  }
  return out;
};

describe('nextRunAfter', () => {
  it('steps */5 to the next multiple of five minutes, strictly after now', () => {
    expect(next('*/5 * * * *', '2026-06-01T12:00:00.000Z')).toBe('2026-06-01T12:05:00.000Z');
    expect(next('*/5 * * * *', '2026-06-01T12:03:59.999Z')).toBe('2026-06-01T12:05:00.000Z');
    expect(next('*/5 * * * *', '2026-06-01T12:04:59.000Z')).toBe('2026-06-01T12:05:00.000Z');
    expect(next('*/5 * * * *', '2026-06-01T23:58:00.000Z')).toBe('2026-06-02T00:00:00.000Z');
  });

  it('finds the daily built-in times later today or tomorrow', () => {
    expect(next('0 6 * * *', '2026-06-01T05:59:00.000Z')).toBe('2026-06-01T06:00:00.000Z');
    expect(next('0 6 * * *', '2026-06-01T06:00:00.000Z')).toBe('2026-06-02T06:00:00.000Z');
    expect(next('0 3 * * *', '2026-06-01T12:00:00.000Z')).toBe('2026-06-02T03:00:00.000Z');
  });

  it('crosses month and year ends', () => {
    expect(next('0 3 * * *', '2026-01-31T04:00:00.000Z')).toBe('2026-02-01T03:00:00.000Z');
    expect(next('0 3 * * *', '2026-12-31T03:00:00.000Z')).toBe('2027-01-01T03:00:00.000Z');
    expect(next('59 23 31 12 *', '2026-12-31T23:59:00.000Z')).toBe('2027-12-31T23:59:00.000Z');
  });

  it('skips months that lack the day', () => {
    expect(next('0 0 31 * *', '2026-01-31T00:00:00.000Z')).toBe('2026-03-31T00:00:00.000Z');
    expect(series('0 0 31 * *', '2026-03-31T00:00:00.000Z', 3)).toEqual([
      '2026-05-31T00:00:00.000Z',
      '2026-07-31T00:00:00.000Z',
      '2026-08-31T00:00:00.000Z',
    ]);
  });

  it('waits for the next leap year for February 29', () => {
    expect(next('0 12 29 2 *', '2026-06-01T00:00:00.000Z')).toBe('2028-02-29T12:00:00.000Z');
  });

  it('reads day of week with Sunday as 0 or 7, names and ranges', () => {
    // 2026-06-01 is a Monday.
    expect(next('0 9 * * 0', '2026-06-01T12:00:00.000Z')).toBe('2026-06-07T09:00:00.000Z');
    expect(next('0 9 * * 7', '2026-06-01T12:00:00.000Z')).toBe('2026-06-07T09:00:00.000Z');
    expect(series('30 8 * * MON-FRI', '2026-06-05T09:00:00.000Z', 2)).toEqual(['2026-06-08T08:30:00.000Z', '2026-06-09T08:30:00.000Z']);
  });

  it('requires both day of month and day of week when both are restricted, as node-cron fires', () => {
    // The next Friday the 13th after June 2026 is November 2026.
    expect(next('0 0 13 * 5', '2026-06-01T00:00:00.000Z')).toBe('2026-11-13T00:00:00.000Z');
  });

  it('handles lists, ranges with steps and month names', () => {
    expect(series('15,45 9-17/4 * jan,jul *', '2026-06-30T23:00:00.000Z', 4)).toEqual([
      '2026-07-01T09:15:00.000Z',
      '2026-07-01T09:45:00.000Z',
      '2026-07-01T13:15:00.000Z',
      '2026-07-01T13:45:00.000Z',
    ]);
  });

  describe('in a process whose local time zone is not UTC', () => {
    const saved = process.env.TZ;
    afterEach(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });

    it('still computes in UTC, across a local daylight-saving change', () => {
      process.env.TZ = 'Europe/Berlin';
      // Berlin moves its clocks on 2026-03-29 at 01:00Z; the hour stays 06:00Z.
      expect(next('0 6 * * *', '2026-03-29T00:30:00.000Z')).toBe('2026-03-29T06:00:00.000Z');
      expect(next('0 6 * * *', '2026-03-29T06:00:00.000Z')).toBe('2026-03-30T06:00:00.000Z');
      expect(next('0 0 1 * *', '2026-10-31T23:30:00.000Z')).toBe('2026-11-01T00:00:00.000Z');
    });
  });

  it('agrees with node-cron: its matcher accepts the result and no earlier minute', () => {
    const cases: Array<[string, string]> = [
      ['*/5 * * * *', '2026-06-01T12:02:10.000Z'],
      ['0 6 * * *', '2026-06-01T07:00:00.000Z'],
      ['0 3 * * *', '2026-12-31T22:00:00.000Z'],
      ['30 8 * * MON-FRI', '2026-06-05T09:00:00.000Z'],
      ['15,45 9-17/4 1-3 * *', '2026-06-30T20:00:00.000Z'],
    ];
    for (const [expression, after] of cases) {
      const task = cron.createTask(expression, () => {}, { timezone: 'UTC' });
      try {
        const found = nextRunAfter(parseCron(expression), new Date(after))!;
        expect(task.match(found), `${expression} at ${found.toISOString()}`).toBe(true);
        const firstMinute = Math.floor(new Date(after).getTime() / 60_000) * 60_000 + 60_000;
        for (let t = firstMinute; t < found.getTime(); t += 60_000) {
          expect(task.match(new Date(t)), `${expression} also matches ${new Date(t).toISOString()}`).toBe(false);
        }
      } finally {
        void task.destroy();
      }
    }
  });
});

describe('parseCron', () => {
  it('rejects anything that is not a valid 5-field expression', () => {
    expect(() => parseCron('* * * *')).toThrow(/5 fields/);
    expect(() => parseCron('0 0 * * * * *')).toThrow(/5 fields/);
    expect(() => parseCron('61 * * * *')).toThrow(/Invalid cron expression/);
    expect(() => parseCron('0 0 30 2 *')).toThrow(/Invalid cron expression/);
    expect(() => parseCron('0 0 L * *')).toThrow(/not supported/);
  });
});

describe('6-field expressions (seconds first, for operators who want fast ticks)', () => {
  it('steps through seconds within a minute and into the next one', () => {
    expect(series('*/20 * * * * *', '2026-06-01T12:00:00.000Z', 4)).toEqual([
      '2026-06-01T12:00:20.000Z',
      '2026-06-01T12:00:40.000Z',
      '2026-06-01T12:01:00.000Z',
      '2026-06-01T12:01:20.000Z',
    ]);
    expect(next('30 */5 * * * *', '2026-06-01T12:05:31.000Z')).toBe('2026-06-01T12:10:30.000Z');
    expect(next('30 */5 * * * *', '2026-06-01T12:04:59.999Z')).toBe('2026-06-01T12:05:30.000Z');
  });

  it('gives the gap between firings as the nominal interval', () => {
    expect(nominalInterval(parseCron('*/2 * * * * *'), new Date('2026-06-01T12:00:00.500Z'))).toBe(2000);
    expect(nominalInterval(parseCron('*/5 * * * *'), new Date('2026-06-01T12:00:00Z'))).toBe(300_000);
  });
});
