import { stmt, type Stmt } from './sql.js';

/**
 * Statements for queries whose WHERE clause depends on which filters are present: one named
 * statement per combination (and `variant`, e.g. a sort order), so each shape is planned
 * for its own index, which `($1 IS NULL OR col = $1)` terms would prevent. `cond` gets the
 * filter's placeholder; `build` gets the WHERE clause and the next free placeholder number.
 */
export function pgShapes<F extends object>(
  prefix: string,
  filters: ReadonlyArray<readonly [keyof F, (placeholder: string) => string]>,
  build: (where: string, next: number, filter: F, variant: string) => string,
) {
  const cache = new Map<string, Stmt>();
  return (filter: F, variant = '') => {
    const present = filters.filter(([k]) => filter[k] != null);
    const key = `${present.map(([k]) => String(k)).join(',')}|${variant}`;
    let s = cache.get(key);
    if (!s) {
      const where = present.length ? `WHERE ${present.map(([, cond], i) => cond(`$${i + 1}`)).join(' AND ')}` : '';
      s = stmt(`${prefix}:${key}`, build(where, present.length + 1, filter, variant));
      cache.set(key, s);
    }
    return { stmt: s, values: present.map(([k]) => filter[k]) as unknown[] };
  };
}
