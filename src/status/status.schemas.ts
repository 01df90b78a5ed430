import { z } from 'zod';

export const StatusResponse = z.object({
  version: z.string(),
  engine: z.enum(['sqlite', 'postgres']),
  uptime: z.number().int().min(0),
  agents: z.object({
    total: z.number().int().min(0),
    byStatus: z.record(z.string(), z.number().int().min(0)),
  }),
  projects: z.number().int().min(0),
  orgs: z.number().int().min(0),
  auditEntries: z.number().int().min(0),
  webhookDeliveries24h: z.number().int().min(0),
  approvalsPending: z.number().int().min(0),
});
export type StatusResponse = z.infer<typeof StatusResponse>;
