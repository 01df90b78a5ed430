/**
 * A stream cursor is the audit entry's global position (`seq`) in decimal: the positions grow
 * with commit order on every engine (units of work commit one at a time and take their
 * position inside), so "after this cursor" is a prefix-free, gapless suffix of the log.
 * `0` means "from the oldest kept entry".
 */
const CURSOR = /^(0|[1-9][0-9]{0,15})$/;

export const encodeCursor = (seq: number): string => String(seq);

/** The position a cursor names, or undefined when it is not one this server issues. */
export function decodeCursor(raw: string): number | undefined {
  if (!CURSOR.test(raw)) return undefined;
  const seq = Number(raw);
  return Number.isSafeInteger(seq) ? seq : undefined;
}
