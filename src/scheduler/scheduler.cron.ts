import cron from 'node-cron';

/** A cron expression expanded into the values each field allows (UTC). */
export interface CronFields {
  /** [0] for a 5-field expression (it fires at the top of the minute). */
  second: number[];
  minute: number[];
  hour: number[];
  dayOfMonth: number[];
  month: number[];
  /** 0 = Sunday … 6 = Saturday (`7` is folded to 0 by the parser). */
  dayOfWeek: number[];
}

// Feb 29 on a given weekday can be 40 years away (century rule); beyond that nothing matches.
const SEARCH_DAYS = 366 * 41;

const numbers = (values: Array<number | string>, field: string, expression: string): number[] => {
  if (values.some((v) => typeof v !== 'number')) {
    throw new Error(`Unsupported ${field} in cron expression '${expression}': L, W and # are not supported`);
  }
  return [...(values as number[])].sort((a, b) => a - b);
};

/**
 * Parses a standard 5-field expression (minute hour day-of-month month day-of-week), or a
 * 6-field one with seconds first (node-cron's extension; operators use it to tick faster).
 * Field expansion (ranges, steps, lists, month and day names) is node-cron's own parser,
 * so what we compute and what node-cron fires read the expression the same way.
 */
export function parseCron(expression: string): CronFields {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) throw new Error(`Cron expression '${expression}' must have 5 fields (or 6 with seconds first)`);
  if (!cron.validate(expression)) throw new Error(`Invalid cron expression '${expression}'`);
  const p = cron.parse(expression);
  return {
    second: parts.length === 6 ? numbers(p.second, 'second', expression) : [0],
    minute: numbers(p.minute, 'minute', expression),
    hour: numbers(p.hour, 'hour', expression),
    dayOfMonth: numbers(p.dayOfMonth, 'day of month', expression),
    month: numbers(p.month, 'month', expression),
    dayOfWeek: numbers(p.dayOfWeek, 'day of week', expression),
  };
}

/** First `hour:minute` of a day at or after `from` (minutes since midnight), or null. */
function firstTimeOfDay(f: CronFields, from: number): number | null {
  for (const h of f.hour) {
    if ((h + 1) * 60 <= from) continue;
    for (const m of f.minute) {
      if (h * 60 + m >= from) return h * 60 + m;
    }
  }
  return null;
}

/**
 * The first minute strictly after the one holding `after` that the expression matches, in
 * UTC, or null when none exists. Day of month and day of week must BOTH match: that is how
 * node-cron 4 fires (classic Vixie cron ORs them when both are restricted).
 */
function nextMinuteAfter(fields: CronFields, after: Date): Date | null {
  const start = Math.floor(after.getTime() / 60_000) * 60_000 + 60_000;
  const first = new Date(start);
  let day = Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate());
  let fromMinute = first.getUTCHours() * 60 + first.getUTCMinutes();
  for (let i = 0; i < SEARCH_DAYS; i++, day += 86_400_000, fromMinute = 0) {
    const d = new Date(day);
    if (!fields.month.includes(d.getUTCMonth() + 1)) continue;
    if (!fields.dayOfMonth.includes(d.getUTCDate())) continue;
    if (!fields.dayOfWeek.includes(d.getUTCDay())) continue;
    const minute = firstTimeOfDay(fields, fromMinute);
    if (minute !== null) return new Date(day + minute * 60_000);
  }
  return null;
}

const minuteMatches = (f: CronFields, m: Date): boolean =>
  f.month.includes(m.getUTCMonth() + 1) &&
  f.dayOfMonth.includes(m.getUTCDate()) &&
  f.dayOfWeek.includes(m.getUTCDay()) &&
  f.hour.includes(m.getUTCHours()) &&
  f.minute.includes(m.getUTCMinutes());

/** The first instant (to the second) strictly after `after` that the expression matches, in UTC, or null. */
export function nextRunAfter(fields: CronFields, after: Date): Date | null {
  const t = Math.floor(after.getTime() / 1000) * 1000 + 1000;
  const minute = Math.floor(t / 60_000) * 60_000;
  if (minuteMatches(fields, new Date(minute))) {
    const s = fields.second.find((x) => minute + x * 1000 >= t);
    if (s !== undefined) return new Date(minute + s * 1000);
  }
  const next = nextMinuteAfter(fields, new Date(minute));
  return next && new Date(next.getTime() + fields.second[0]! * 1000);
}

/** The gap between the next two firings after `from` (shown as a task's intervalMs), or null. */
export function nominalInterval(fields: CronFields, from: Date): number | null {
  const a = nextRunAfter(fields, from);
  const b = a && nextRunAfter(fields, a);
  return a && b ? b.getTime() - a.getTime() : null;
}
