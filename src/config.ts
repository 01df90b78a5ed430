import { z } from 'zod';
import { parseCron } from './scheduler/scheduler.cron.js';
import { BUILTIN_TASK_NAMES } from './scheduler/scheduler.catalog.js';

/** Raised by loadConfig; server.ts prints `message` on one line and exits 1. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

const int = (def: number, min: number, max: number) =>
  z.preprocess(
    (v) => emptyToUndefined(v) ?? String(def),
    z
      .string()
      .regex(/^\d+$/, { error: 'must be a whole number' })
      .transform(Number)
      .pipe(z.number().int().min(min, { error: `must be at least ${min}` }).max(max, { error: `must be at most ${max}` })),
  );

const flag = (def: boolean) => z.preprocess((v) => emptyToUndefined(v) ?? String(def), z.stringbool());

const httpUrl = () => z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const url = (def: string) => z.preprocess((v) => emptyToUndefined(v) ?? def, httpUrl());
const optionalUrl = () => z.preprocess(emptyToUndefined, httpUrl().optional());

const byteSize = (def: string) =>
  z.preprocess(
    (v) => emptyToUndefined(v) ?? def,
    z.string().regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i, { error: 'must be a size such as 1mb or 512kb' }),
  );

/** A secret that is either unset or long enough to resist guessing. */
const optionalSecret = (minLength: number) =>
  z.preprocess(emptyToUndefined, z.string().min(minLength, { error: `must be at least ${minLength} characters` }).optional());

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `true`/`false`, a hop count, or a comma-separated list of addresses/subnets. */
const trustProxy = z.preprocess(
  (v) => emptyToUndefined(v) ?? 'false',
  z.string().transform((v, ctx): boolean | number | string[] => {
    const s = v.trim().toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
    if (/^\d+$/.test(s)) return Number(s);
    const list = v.split(',').map((x) => x.trim()).filter(Boolean);
    if (list.every((x) => /^[0-9a-fA-F.:/]+$/.test(x) || ['loopback', 'linklocal', 'uniquelocal'].includes(x))) return list;
    ctx.addIssue({ code: 'custom', message: 'must be true, false, a hop count or a list of addresses' });
    return z.NEVER;
  }),
);

/** `token:orgId` pairs; orgId `*` is an operator token. */
const apiTokens = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return [] as ApiToken[];
      const out: ApiToken[] = [];
      for (const raw of v.split(',').map((x) => x.trim()).filter(Boolean)) {
        const i = raw.lastIndexOf(':');
        const token = raw.slice(0, i);
        const orgId = raw.slice(i + 1);
        if (i <= 0 || !/^[\x21-\x7e]+$/.test(token) || !(orgId === '*' || /^[a-z0-9-]{1,64}$/.test(orgId))) {
          ctx.addIssue({ code: 'custom', message: 'each entry must be token:orgId (token of printable characters, orgId an org id or *)' });
          return z.NEVER;
        }
        // One token bound to two orgs would silently act in the first only.
        if (out.some((t) => t.token === token)) {
          ctx.addIssue({ code: 'custom', message: 'lists the same token twice' });
          return z.NEVER;
        }
        out.push({ token, orgId });
      }
      return out;
    }),
);

const BUILTIN_TASKS: readonly string[] = BUILTIN_TASK_NAMES;

/** `task=cron;task=cron`: an operator's own schedule for built-in tasks (a 6th, leading field counts seconds). */
const schedulerSchedules = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const out: Record<string, string> = {};
      for (const raw of (v ?? '').split(';').map((x) => x.trim()).filter(Boolean)) {
        const i = raw.indexOf('=');
        const name = raw.slice(0, i).trim();
        const expression = raw.slice(i + 1).trim();
        if (i <= 0 || !BUILTIN_TASKS.includes(name) || name in out) {
          ctx.addIssue({ code: 'custom', message: `each entry must be task=cron, once per task, with task one of ${BUILTIN_TASKS.join(', ')}` });
          return z.NEVER;
        }
        try {
          parseCron(expression);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: `has a bad schedule for ${name}: ${(err as Error).message}` });
          return z.NEVER;
        }
        out[name] = expression;
      }
      return Object.freeze(out);
    }),
);

export interface ApiToken {
  token: string;
  orgId: string;
}

const ConfigSchema = z.object({
  PORT: int(3000, 0, 65535),
  HOST: z.preprocess((v) => emptyToUndefined(v) ?? '0.0.0.0', z.string()),
  DATABASE_PATH: z.preprocess((v) => emptyToUndefined(v) ?? './data/codespar.db', z.string()),
  DATABASE_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional()),
  DATABASE_POOL_MAX: int(10, 1, 1000),
  REDIS_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional()),
  LOG_LEVEL: z.preprocess((v) => emptyToUndefined(v) ?? 'info', z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })),
  TRUST_PROXY: trustProxy,
  CORS_ORIGINS: z.preprocess(
    (v) => emptyToUndefined(v) ?? '*',
    z.string().transform((v) => (v.trim() === '*' ? '*' : v.split(',').map((x) => x.trim()).filter(Boolean))),
  ),
  RATE_LIMIT_WINDOW_MS: int(60_000, 1, 86_400_000),
  RATE_LIMIT_MAX: int(100, 0, 1_000_000_000),
  WEBHOOK_RATE_LIMIT_MAX: int(30, 0, 1_000_000_000),
  JSON_BODY_LIMIT: byteSize('1mb'),
  WEBHOOK_BODY_LIMIT: byteSize('25mb'),
  GITHUB_TOKEN: optionalString,
  GITHUB_API_URL: url('https://api.github.com'),
  GITHUB_WEBHOOK_SECRET: optionalString,
  DEPLOY_WEBHOOK_SECRET: optionalString,
  WEBHOOK_BASE_URL: optionalUrl(),
  AUDIT_RETENTION_DAYS: int(365, 1, 36_500),
  AUDIT_HMAC_KEY: optionalSecret(32),
  SCHEDULER_ENABLED: flag(true),
  SCHEDULER_SCHEDULES: schedulerSchedules,
  ENABLE_WHATSAPP: flag(false),
  ENABLE_SLACK: flag(false),
  ENABLE_DISCORD: flag(false),
  ENABLE_TELEGRAM: flag(false),
  EVOLUTION_API_URL: optionalUrl(),
  EVOLUTION_API_KEY: optionalString,
  EVOLUTION_INSTANCE: optionalString,
  SLACK_BOT_TOKEN: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: url('https://slack.com/api'),
  DISCORD_BOT_TOKEN: optionalString,
  DISCORD_API_URL: url('https://discord.com/api/v10'),
  TELEGRAM_BOT_TOKEN: optionalString,
  TELEGRAM_API_URL: url('https://api.telegram.org'),
  CHANNEL_CONNECT_TIMEOUT_MS: int(5000, 1, 120_000),
  API_TOKENS: apiTokens,
  SECRETS_KEY: z.preprocess(emptyToUndefined, z.string().min(32, { error: 'must be at least 32 characters' }).optional()),
  WEBHOOK_INFLIGHT_MB: int(64, 1, 65_536),
  EVENTS_HEARTBEAT_MS: int(15_000, 100, 3_600_000),
  EVENTS_MAX_STREAMS: int(1000, 1, 100_000),
  METRICS_TOKEN: optionalString,
});

type Parsed = z.infer<typeof ConfigSchema>;
export type Config = Readonly<Parsed>;

/** The only reader of the environment. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    const value = env[name];
    const shown = value === undefined || /TOKEN|SECRET|KEY|DATABASE_URL|REDIS_URL/.test(name) ? '' : ` (got ${JSON.stringify(value.slice(0, 60))})`;
    throw new ConfigError(`Invalid configuration: ${name} ${issue.message}${shown}`);
  }
  const c = result.data;
  return Object.freeze({
    ...c,
    GITHUB_API_URL: stripSlash(c.GITHUB_API_URL),
    WEBHOOK_BASE_URL: c.WEBHOOK_BASE_URL === undefined ? undefined : stripSlash(c.WEBHOOK_BASE_URL),
    SLACK_API_URL: stripSlash(c.SLACK_API_URL),
    DISCORD_API_URL: stripSlash(c.DISCORD_API_URL),
    TELEGRAM_API_URL: stripSlash(c.TELEGRAM_API_URL),
    EVOLUTION_API_URL: c.EVOLUTION_API_URL === undefined ? undefined : stripSlash(c.EVOLUTION_API_URL),
  });
}

function stripSlash(u: string): string {
  return u.replace(/\/+$/, '');
}
