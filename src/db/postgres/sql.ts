import type pg from 'pg';
import { AppError } from '../../http/errors.js';

/** The pool (each call on its own connection, autocommit) or one transaction's connection. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/**
 * A named statement: PostgreSQL parses and plans it once per connection, the driver then
 * only binds values. Names are unique per text across the engine (prefix them by domain).
 */
export interface Stmt {
  name: string;
  text: string;
}
export const stmt = (name: string, text: string): Stmt => ({ name, text });

const hasNul = (v: unknown): boolean => typeof v === 'string' && v.includes('\u0000');

/**
 * Values PostgreSQL accepts. Its text cannot hold the NUL character (SQLite's can), and JSON
 * bodies carrying one are refused before they get here, so such a value can only come from a
 * path or query string, to be looked up: no stored text equals it, so it is compared as NULL,
 * which equals nothing (the SQLite engine answers the same: no such row). Stored, it would be
 * refused, so a write that would store one is a validation error rather than a failure.
 */
function bindable(s: Stmt, values: unknown[]): unknown[] {
  if (!values.some(hasNul)) return values;
  if (/\bINSERT\b/i.test(s.text)) refuseUnstorable(values);
  return values.map((v) => (hasNul(v) ? null : v));
}

/** The check above for values that are to be stored (a write held back by a unit, see held-writes.ts). */
export function refuseUnstorable(values: unknown[]): void {
  if (values.some(hasNul)) throw new AppError('VALIDATION_ERROR', 'Text must not contain the NUL character');
}

export async function rows<R extends object>(q: Queryable, s: Stmt, values: unknown[] = []): Promise<R[]> {
  return (await q.query<R>({ name: s.name, text: s.text, values: bindable(s, values) })).rows;
}

export async function one<R extends object>(q: Queryable, s: Stmt, values: unknown[] = []): Promise<R | undefined> {
  return (await q.query<R>({ name: s.name, text: s.text, values: bindable(s, values) })).rows[0];
}

/** Rows as arrays in column order (no object per row): for long reads such as verification's batches. */
export async function arrays<R extends unknown[]>(q: Queryable, s: Stmt, values: unknown[] = []): Promise<R[]> {
  return (await q.query<R>({ name: s.name, text: s.text, values: bindable(s, values), rowMode: 'array' })).rows;
}

/** The first column of the first row, if any. */
export async function scalar<T>(q: Queryable, s: Stmt, values: unknown[] = []): Promise<T | undefined> {
  const r = (await q.query<unknown[]>({ name: s.name, text: s.text, values: bindable(s, values), rowMode: 'array' })).rows[0];
  return r === undefined ? undefined : (r[0] as T);
}

/** Runs a write; the number of rows it touched. */
export async function exec(q: Queryable, s: Stmt, values: unknown[] = []): Promise<number> {
  return (await q.query({ name: s.name, text: s.text, values: bindable(s, values) })).rowCount ?? 0;
}
