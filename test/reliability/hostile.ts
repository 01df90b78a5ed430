import fc from 'fast-check';

/** Keys that try prototype pollution or shadow Object.prototype members. */
export const POLLUTING_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

const SPECIAL_STRINGS = [
  '../../x',
  '..',
  '%2e%2e%2f',
  '\u0000',
  '\uD800',
  '\uDFFF',
  '\uFEFF',
  '\u202E',
  '𝕏 🚀',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '${jndi:ldap://x}',
  '{{7*7}}',
  '',
  ' ',
  'null',
  'NaN',
  '-1',
  '1e309',
  '9'.repeat(400),
  'default',
  'health-check',
  'web',
  '\r\nX-Injected: 1',
  'a'.repeat(5_000),
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...SPECIAL_STRINGS),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(1_000, 10_001, 120_000).map((n) => 'x'.repeat(n)),
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, -0, 0.5, 3, 5, 6, -1),
);

/** A JSON value written out by hand, so objects may repeat keys or carry `__proto__` as data. */
export type Json = null | boolean | number | string | Json[] | { entries: Array<[string, Json]> };

export const toJsonText = (v: Json): string => {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(toJsonText).join(',')}]`;
  return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${toJsonText(x)}`).join(',')}}`;
};

export function jsonValue(fieldNames: string[]): fc.Arbitrary<Json> {
  const key = fc.oneof(fc.constantFrom(...POLLUTING_KEYS, ...(fieldNames.length ? fieldNames : ['x'])), fc.string({ maxLength: 8 }));
  const { value } = fc.letrec<{ value: Json }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 4 },
      fc.constant(null),
      fc.boolean(),
      hostileNumber,
      hostileString,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((entries) => ({ entries })),
    ),
  }));
  return value;
}

export const fromPlain = (v: unknown): Json => {
  if (Array.isArray(v)) return v.map(fromPlain);
  if (v !== null && typeof v === 'object') return { entries: Object.entries(v).map(([k, x]) => [k, fromPlain(x)]) };
  return v as Json;
};

/** A valid body with one field replaced by a hostile value, or a hostile key added to it. */
export function nearlyValid(sample: Record<string, unknown>): fc.Arbitrary<Json> {
  const keys = Object.keys(sample);
  const value = jsonValue(keys);
  return fc.oneof(
    fc.tuple(fc.constantFrom(...keys), value).map(([key, v]): Json => ({ entries: keys.map((k): [string, Json] => [k, k === key ? v : fromPlain(sample[k])]) })),
    fc.tuple(fc.constantFrom(...POLLUTING_KEYS), value).map(([key, v]): Json => ({ entries: [...keys.map((k): [string, Json] => [k, fromPlain(sample[k])]), [key, v]] })),
  );
}

/** Bodies JSON.parse accepts or refuses in ways a careless server trips on. */
export const rawBodies: fc.Arbitrary<Buffer> = fc.oneof(
  // Nesting deep enough to overflow any recursive walk of the parsed value (the 1 MB limit allows ~500k).
  fc.constantFrom(100, 20_000, 200_000).map((n) => Buffer.from('['.repeat(n) + ']'.repeat(n))),
  fc.constantFrom(100, 20_000, 100_000).map((n) => Buffer.from('{"a":'.repeat(n) + '1' + '}'.repeat(n))),
  fc.constantFrom(
    Buffer.from('{"name":"\xff\xfe\xc3(","type":"task"}', 'latin1'),
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"bom"}')]),
    Buffer.from('{"name": 1' + '0'.repeat(400) + '}'),
    Buffer.from('{"name":"a","name":{"__proto__":{"polluted":true}}}'),
    Buffer.from('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
    Buffer.from('{"name":"trunc'),
    Buffer.from(''),
    Buffer.from('null'),
    Buffer.from('"just a string"'),
    Buffer.from('[]'),
    Buffer.from('\u0000'),
  ),
);

/** Percent-encodes every byte of the UTF-8 form (lone surrogates become U+FFFD, as a browser would send). */
export const encodeAll = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

/** A path segment: encoded hostile text, or percent-encoding that does not decode. */
export const pathSegment = (real: string[]): fc.Arbitrary<string> =>
  fc.oneof(
    hostileString.filter((s) => s.length > 0 && s.length <= 300).map(encodeAll),
    fc.constantFrom('%FF', '%E0%A4%A', '%', '%ZZ', '..', '.', '%2F', '%00', ...real),
  );

/**
 * Header values as Node's client lets them through (tab, printable ASCII, Latin-1 bytes),
 * short enough that a request stays under Node's 16 KB header limit (oversized headers
 * are sent over a raw socket instead).
 */
export const headerValue: fc.Arbitrary<string> = hostileString.map((s) =>
  [...s.slice(0, 800)].map((c) => (c === '\t' || (c >= ' ' && c <= '~') || (c >= '\u0080' && c <= '\u00ff') ? c : '?')).join(''),
);

export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/vnd.api+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
];
