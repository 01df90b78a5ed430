import { z } from 'zod';

export const RotatedSecret = z.object({
  orgId: z.string(),
  secret: z.string().regex(/^[0-9a-f]{64}$/),
  url: z.string(),
  createdAt: z.string(),
});

export const OrgWebhookSettings = z.object({
  orgId: z.string(),
  url: z.string(),
  deployUrl: z.string(),
  secretConfigured: z.boolean(),
  lastDeliveryAt: z.string().nullable(),
  deliveries24h: z.number().int(),
  events: z.array(z.string()),
});
