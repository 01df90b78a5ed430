/**
 * What a repository method on a hot path may answer: a plain value when the engine has it at
 * once (SQLite's statements are synchronous), else a promise. The caller awaits only a promise.
 */
export type Awaitable<T> = T | Promise<T>;
