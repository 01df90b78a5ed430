import type pg from 'pg';

/** The pool (each call on its own connection, autocommit) or one transaction's connection. */
export type Queryable = pg.Pool | pg.PoolClient;

/**
 * A named statement: PostgreSQL parses and plans it once per connection, the driver then
 * only binds values. Names are unique per text across the engine (prefix them by domain).
 */
export interface Stmt {
  name: string;
  text: string;
}
export const stmt = (name: string, text: string): Stmt => ({ name, text });

export async function rows<R extends object>(q: Queryable, s: Stmt, values: unknown[] = []): Promise<R[]> {
  return (await q.query<R>({ name: s.name, text: s.text, values })).rows;
}

export async function one<R extends object>(q: Queryable, s: Stmt, values: unknown[] = []): Promise<R | undefined> {
  return (await q.query<R>({ name: s.name, text: s.text, values })).rows[0];
}

/** Rows as arrays in column order (no object per row): for long reads such as verification's batches. */
export async function arrays<R extends unknown[]>(q: Queryable, s: Stmt, values: unknown[] = []): Promise<R[]> {
  return (await q.query<R>({ name: s.name, text: s.text, values, rowMode: 'array' })).rows;
}

/** The first column of the first row, if any. */
export async function scalar<T>(q: Queryable, s: Stmt, values: unknown[] = []): Promise<T | undefined> {
  const r = (await q.query<unknown[]>({ name: s.name, text: s.text, values, rowMode: 'array' })).rows[0];
  return r === undefined ? undefined : (r[0] as T);
}

/** Runs a write; the number of rows it touched. */
export async function exec(q: Queryable, s: Stmt, values: unknown[] = []): Promise<number> {
  return (await q.query({ name: s.name, text: s.text, values })).rowCount ?? 0;
}
