import cron from 'node-cron';
import type { Logger } from '../logger.js';

/** One armed schedule; `disarm` stops and forgets it. */
export interface CronHandle {
  disarm(): Promise<void>;
}

/**
 * Arms a schedule that calls `onTick` whenever it fires, with the instant it was scheduled for
 * (the same on every replica: the tick's identity); the seam between tasks and timers.
 */
export type CronDriver = (name: string, expression: string, onTick: (at: Date) => void) => CronHandle;

/** node-cron 4: `createTask` starts stopped; times are read in UTC; errors go to our logger. */
export function nodeCronDriver(logger: Logger): CronDriver {
  const log = logger.child({ component: 'node-cron' });
  const cronLogger = {
    info: (m: string) => log.info(m),
    warn: (m: string) => log.warn(m),
    error: (m: string | Error, err?: Error) => log.error({ err: err ?? m }, String(m)),
    debug: (m: string | Error) => log.debug(String(m)),
  };
  return (name, expression, onTick) => {
    // The callback returns nothing: overlap and errors are the scheduler's job, not node-cron's.
    const task = cron.createTask(expression, (ctx) => void onTick(ctx.date), { name, timezone: 'UTC', logger: cronLogger });
    void Promise.resolve(task.start()).catch((err: unknown) => log.error({ err, task: name }, 'cron task did not start'));
    return {
      disarm: async () => {
        await task.stop();
        await task.destroy();
      },
    };
  };
}
