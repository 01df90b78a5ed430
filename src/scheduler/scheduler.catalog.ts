/** The built-in tasks' names: the configuration (SCHEDULER_SCHEDULES) and the tasks share this one list. */
export const BUILTIN_TASK_NAMES = ['health-check', 'build-status-report', 'audit-cleanup'] as const;

export type BuiltinTaskName = (typeof BUILTIN_TASK_NAMES)[number];
