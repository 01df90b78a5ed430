import { z } from 'zod';

export const HealthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  uptime: z.number().int().min(0),
  checks: z.object({
    database: z.looseObject({ status: z.string(), engine: z.enum(['sqlite', 'postgres']) }),
    channels: z.looseObject({ status: z.string() }),
    agents: z.looseObject({ status: z.string() }),
    scheduler: z.looseObject({ status: z.string() }),
  }),
});
