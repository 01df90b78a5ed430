import { z } from 'zod';
import { RISKS } from './audit.risk.js';

export const ACTOR_TYPES = ['user', 'agent', 'system'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

const positiveInt = (name: string) =>
  z
    .string({ error: `${name} must be a single value` })
    .regex(/^\d+$/, { error: `${name} must be a positive integer` })
    .transform(Number)
    .refine((n) => n >= 1, { error: `${name} must be at least 1` });

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * The instant an ISO 8601 date or time names, or undefined. A time without a zone is
 * UTC (never the server's local zone); a bare date is the start of that UTC day, or its
 * last millisecond when `endOfDay`. Impossible calendar dates (2026-02-31) are refused.
 */
function toInstant(s: string, endOfDay: boolean): string | undefined {
  const m = ISO_TIME.exec(s);
  if (!m) return undefined;
  const [, y, mo, day, time, zone] = m;
  const calendar = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(day)));
  if (calendar.getUTCMonth() !== Number(mo) - 1 || calendar.getUTCDate() !== Number(day)) return undefined;
  const d = new Date(time === undefined ? `${y}-${mo}-${day}T00:00:00.000Z` : zone === undefined ? `${s}Z` : s);
  if (Number.isNaN(d.getTime())) return undefined;
  if (time === undefined && endOfDay) d.setUTCDate(d.getUTCDate() + 1), d.setUTCMilliseconds(-1);
  return d.toISOString();
}

const isoInstant = (name: string, endOfDay: boolean) =>
  z.string({ error: `${name} must be a single value` }).transform((s, ctx) => {
    const instant = toInstant(s, endOfDay);
    if (instant === undefined) {
      ctx.addIssue({ code: 'custom', message: `${name} must be an ISO 8601 date or time` });
      return z.NEVER;
    }
    return instant;
  });

const text = (name: string) => z.string({ error: `${name} must be a single value` }).min(1).max(200);

export const AuditQuery = z.object(
  {
    limit: positiveInt('limit').transform((n) => Math.min(n, 100)).optional(),
    // Beyond 2^53 a page number could not be echoed back exactly.
    page: positiveInt('page').refine(Number.isSafeInteger, { error: 'page is too large' }).optional(),
    risk: z.enum([...RISKS, 'all'], { error: `risk must be one of ${[...RISKS, 'all'].join(', ')}` }).optional(),
    action: text('action').optional(),
    actorType: z.enum(ACTOR_TYPES, { error: `actorType must be one of ${ACTOR_TYPES.join(', ')}` }).optional(),
    actorId: text('actorId').optional(),
    projectId: text('projectId').optional(),
    since: isoInstant('since', false).optional(),
    until: isoInstant('until', true).optional(),
    order: z.enum(['asc', 'desc'], { error: 'order must be asc or desc' }).optional(),
  },
);
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditEntry = z.object({
  id: z.string(),
  timestamp: z.string(),
  actorType: z.enum(ACTOR_TYPES),
  actorId: z.string(),
  action: z.string(),
  result: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  risk: z.enum(RISKS),
  orgId: z.string(),
  projectId: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditPage = z.object({
  entries: z.array(AuditEntry),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
  totalPages: z.number().int(),
  hasMore: z.boolean(),
});

const unkeyed = z
  .number()
  .int()
  .min(0)
  .meta({ description: 'Checked entries that no seal of the current AUDIT_HMAC_KEY covers (all of them when the key is not set)' });
const keyed = z.boolean().meta({ description: 'Whether AUDIT_HMAC_KEY is set, so seals were checked' });

const OrgVerification = z.object({
  orgId: z.string(),
  valid: z.boolean(),
  checked: z.number().int(),
  brokenAt: z.string().nullable(),
  unkeyed,
});

export const AuditVerification = z.union([
  z.object({ valid: z.boolean(), checked: z.number().int(), brokenAt: z.string().nullable(), keyed, unkeyed }),
  z.object({ valid: z.boolean(), checked: z.number().int(), keyed, unkeyed, orgs: z.array(OrgVerification) }),
]);
export type OrgVerification = z.infer<typeof OrgVerification>;
