import { z } from 'zod';

export const TaskNameParams = z.strictObject({ name: z.string() });

export const Task = z.object({
  name: z.string(),
  schedule: z.string(),
  intervalMs: z.number().int(),
  lastRun: z.string().nullable(),
  nextRun: z.string().nullable(),
  runCount: z.number().int(),
  errors: z.number().int(),
  enabled: z.boolean(),
  builtin: z.boolean(),
  lastError: z.string().nullable(),
  lastDurationMs: z.number().int().nullable(),
});
export type Task = z.infer<typeof Task>;

export const TaskToggled = z.object({ name: z.string(), enabled: z.boolean(), message: z.string() });
export type TaskToggled = z.infer<typeof TaskToggled>;

export const TaskRunResult = z.object({
  name: z.string(),
  ok: z.boolean(),
  durationMs: z.number().int(),
  error: z.string().nullable(),
});
export type TaskRunResult = z.infer<typeof TaskRunResult>;

export const TaskCancelled = z.object({ name: z.string(), message: z.string() });
export type TaskCancelled = z.infer<typeof TaskCancelled>;
