import { z } from 'zod';
import { defineRoute, type RouteDef } from '../http/registry.js';
import { Task, TaskCancelled, TaskNameParams, TaskRunResult, TaskToggled } from './scheduler.schemas.js';
import type { SchedulerService } from './scheduler.service.js';

/** Instance-level routes: x-org-id is validated by the middleware and otherwise ignored. */
export function schedulerRoutes(scheduler: SchedulerService): RouteDef[] {
  const tag = 'Scheduler';
  return [
    defineRoute({
      method: 'get',
      path: '/scheduler',
      tag,
      scope: 'instance',
      summary: 'List scheduled tasks',
      response: z.array(Task),
      handler: () => scheduler.list(),
    }),
    defineRoute({
      method: 'get',
      path: '/scheduler/:name',
      tag,
      scope: 'instance',
      summary: 'Get one scheduled task',
      params: TaskNameParams,
      response: Task,
      errors: ['TASK_NOT_FOUND'],
      handler: ({ params }) => scheduler.get(params.name),
    }),
    defineRoute({
      method: 'post',
      path: '/scheduler/:name/pause',
      tag,
      scope: 'instance',
      summary: 'Pause a task (idempotent): it never fires until resumed',
      access: 'operator',
      params: TaskNameParams,
      response: TaskToggled,
      errors: ['TASK_NOT_FOUND'],
      handler: ({ params, actor }) => scheduler.pause(actor, params.name),
    }),
    defineRoute({
      method: 'post',
      path: '/scheduler/:name/resume',
      tag,
      scope: 'instance',
      summary: 'Resume a paused task (idempotent)',
      access: 'operator',
      params: TaskNameParams,
      response: TaskToggled,
      errors: ['TASK_NOT_FOUND'],
      handler: ({ params, actor }) => scheduler.resume(actor, params.name),
    }),
    defineRoute({
      method: 'post',
      path: '/scheduler/:name/run',
      tag,
      scope: 'instance',
      summary: 'Run a task now (paused or not) and report the outcome; 409 while it runs on any replica',
      access: 'operator',
      params: TaskNameParams,
      response: TaskRunResult,
      errors: ['TASK_NOT_FOUND', 'TASK_RUNNING'],
      handler: ({ params, actor }) => scheduler.run(actor, params.name),
    }),
    defineRoute({
      method: 'delete',
      path: '/scheduler/:name',
      tag,
      scope: 'instance',
      summary: 'Cancel a task; built-in tasks come back at the next start',
      access: 'operator',
      params: TaskNameParams,
      response: TaskCancelled,
      errors: ['TASK_NOT_FOUND'],
      handler: ({ params, actor }) => scheduler.cancel(actor, params.name),
    }),
  ];
}
