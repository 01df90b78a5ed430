/**
 * Statements for queries whose WHERE clause depends on which filters are present: one set
 * per combination (and `variant`, e.g. a sort order), prepared on first use. Each shape can
 * then use its index, which `(@x IS NULL OR col = @x)` terms would prevent.
 */
export function shapedStatements<F extends object, S>(
  filters: ReadonlyArray<readonly [keyof F, string]>,
  build: (where: string, filter: F, variant: string) => S,
) {
  const cache = new Map<string, S>();
  return (filter: F, variant = '') => {
    const present = filters.filter(([k]) => filter[k] != null);
    const key = `${present.map(([k]) => String(k)).join(',')}|${variant}`;
    let statements = cache.get(key);
    if (!statements) {
      const where = present.length ? `WHERE ${present.map(([, sql]) => sql).join(' AND ')}` : '';
      statements = build(where, filter, variant);
      cache.set(key, statements);
    }
    return { statements, params: Object.fromEntries(present.map(([k]) => [k, filter[k]])) as Record<string, unknown> };
  };
}
