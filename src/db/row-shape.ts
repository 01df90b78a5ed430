/**
 * How one table's rows become one type's objects, declared once (beside the repository
 * interface) and read by both engines. Each engine selects `column AS "field"` (both dialects
 * take the quoted alias), so a row arrives under the object's field names in the declared
 * order; a field whose stored form differs (a 0/1 flag, JSON text) names its decoder here,
 * so neither engine keeps its own copy of the mapping.
 */
export interface RowShape<T> {
  /** The select list, `column AS "field"`, each column prefixed with `alias.` when given. */
  select(alias?: string): string;
  /** A row selected with `select()`, as the object. */
  read(row: object): T;
  /** A row selected with `select()` as an array (SQLite's raw mode, PostgreSQL's array mode). */
  readArray(row: readonly unknown[]): T;
}

type Decoder = (stored: never) => unknown;
type Column = string | readonly [column: string, decode: Decoder];

/** A 0/1 integer column as a boolean. */
export const flag = (stored: number): boolean => stored === 1;
/** A JSON text column (null for none) as its value. */
export const json =
  <V>() =>
  (stored: string | null): V | null =>
    stored === null || stored === '' ? null : (JSON.parse(stored) as V);

export function rowShape<T extends object>(columns: { [K in keyof T]-?: Column }): RowShape<T> {
  const entries = Object.entries(columns) as [string, Column][];
  const fields = entries.map(([field]) => field);
  const decoders = entries.map(([, c]) => (typeof c === 'string' ? undefined : (c[1] as (v: unknown) => unknown)));
  const decoded = decoders.flatMap((d, i) => (d ? [[fields[i]!, d] as const] : []));
  const names = entries.map(([field, c]) => [typeof c === 'string' ? c : c[0], field] as const);
  return {
    select: (alias) => names.map(([col, field]) => `${alias ? `${alias}.` : ''}${col}${col === field ? '' : ` AS "${field}"`}`).join(', '),
    read(row) {
      if (decoded.length === 0) return row as T;
      const out: Record<string, unknown> = { ...row };
      for (const [field, decode] of decoded) out[field] = decode(out[field]);
      return out as T;
    },
    readArray(row) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < fields.length; i++) {
        const d = decoders[i];
        out[fields[i]!] = d ? d(row[i]) : row[i];
      }
      return out as T;
    },
  };
}
