import { isUtf8 } from 'node:buffer';

const BACKSLASH = 0x5c;
const U = 0x75;

/** The value of four hex digits at `at`, or -1. */
function hex4(buf: Buffer, at: number): number {
  let n = 0;
  for (let k = at; k < at + 4; k++) {
    const c = buf[k];
    // Every caller parses the text next and answers INVALID_JSON either way, and JSON.parse
    // refuses a \u escape without four hex digits: only the digits' values decide anything,
    // so what is answered for text cut short or for a non-hex character does not matter.
    // Stryker disable next-line UnaryOperator: text cut short is refused by the parse
    if (c === undefined) return -1;
    const lower = c | 0x20;
    // Stryker disable next-line ConditionalExpression,LogicalOperator,UnaryOperator: only non-hex text gets here, refused by the parse
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
    // Stryker disable next-line ConditionalExpression,UnaryOperator: as above, non-hex text is refused by the parse anyway
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/**
 * True when the JSON text escapes a surrogate that is not half of a pair (`"\ud800"`).
 * JSON.parse accepts such text, but the string it yields cannot be written as UTF-8: stored,
 * it would come back as U+FFFD. Walks escape sequences from the first backslash on: in
 * JSON a backslash only ever starts an escape, so escapes are found without tracking strings.
 * The text must already be valid UTF-8 (raw surrogates are then impossible).
 */
export function hasLoneSurrogateEscape(buf: Buffer): boolean {
  // The common case pays two memchr-like scans and nothing more; the walk below alone gives
  // the same answer, so skipping this shortcut changes nothing but the time.
  // Stryker disable next-line ConditionalExpression,StringLiteral: a shortcut the walk below agrees with
  if (buf.indexOf('\\ud') === -1 && buf.indexOf('\\uD') === -1) return false;
  let i = buf.indexOf(BACKSLASH);
  while (i !== -1) {
    if (buf[i + 1] !== U) {
      i = buf.indexOf(BACKSLASH, i + 2);
      continue;
    }
    const code = hex4(buf, i + 2);
    let next = i + 6;
    if (isLow(code)) return true;
    if (isHigh(code)) {
      if (buf[next] !== BACKSLASH || buf[next + 1] !== U || !isLow(hex4(buf, next + 2))) return true;
      next += 6;
    }
    i = buf.indexOf(BACKSLASH, next);
  }
  return false;
}

/**
 * True when the JSON text escapes the NUL character (`"\u0000"`), which PostgreSQL text
 * cannot hold. Raw control characters are not valid JSON, so the escape is the only way in;
 * escapes are walked as above, so an escaped backslash followed by `u0000` is not one.
 */
export function hasNulEscape(buf: Buffer): boolean {
  // Stryker disable next-line ConditionalExpression,StringLiteral: a shortcut the walk below agrees with
  if (buf.indexOf('\\u0000') === -1) return false;
  let i = buf.indexOf(BACKSLASH);
  while (i !== -1) {
    if (buf[i + 1] === U && hex4(buf, i + 2) === 0) return true;
    i = buf.indexOf(BACKSLASH, i + 2);
  }
  return false;
}

/**
 * JSON text that can be stored and read back unchanged, on either engine: valid UTF-8 (RFC
 * 8259 requires it), no lone surrogate escapes, no escaped NUL character. Anything else is
 * answered INVALID_JSON rather than silently altered (or stored on one engine and refused by
 * the other).
 */
export const isSoundJsonText = (buf: Buffer): boolean => isUtf8(buf) && !hasLoneSurrogateEscape(buf) && !hasNulEscape(buf);
