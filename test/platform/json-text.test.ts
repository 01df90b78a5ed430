import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hasLoneSurrogateEscape, isSoundJsonText } from '../../src/http/json-text.js';

/** With the u flag a pair is one code point; only a lone surrogate is in the Cs category. */
const wellFormed = (s: string) => !/\p{Cs}/u.test(s);

/** The slow, obvious answer: parse, then ask every string and key whether it is well formed. */
function reference(text: string): boolean {
  const stack: unknown[] = [JSON.parse(text)];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string' && !wellFormed(v)) return true;
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (!wellFormed(k)) return true;
        stack.push(x);
      }
    }
  }
  return false;
}

const hex4 = (n: number, upper: boolean) => {
  const h = n.toString(16).padStart(4, '0');
  return upper ? h.toUpperCase() : h;
};

/** One piece of a JSON string's inside, as typed: plain text, simple escapes, \u escapes near and in the surrogate range. */
const piece = fc.oneof(
  fc.constantFrom('a', 'u', 'd800', 'é', '🚀', '\\\\', '\\"', '\\n', '\\/', '\\\\u', '\\\\ud800'),
  fc.tuple(fc.integer({ min: 0xd700, max: 0xe000 }), fc.boolean()).map(([n, up]) => `\\u${hex4(n, up)}`),
  fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.boolean()).map(([n, up]) => `\\u${hex4(n, up)}`),
);
const inside = fc.array(piece, { maxLength: 12 }).map((p) => p.join(''));

describe('hasLoneSurrogateEscape', () => {
  it('agrees with parsing and checking every string, for strings and keys built from escapes', () => {
    fc.assert(
      fc.property(inside, inside, inside, (a, b, c) => {
        const text = `{"${a}":["${b}",{"k":"${c}"}],"n":1}`;
        expect(hasLoneSurrogateEscape(Buffer.from(text))).toBe(reference(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with parsing for whatever JSON.stringify writes, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary', maxLength: 20 }), (value, s) => {
        const text = JSON.stringify({ value, s, [s]: s });
        expect(hasLoneSurrogateEscape(Buffer.from(text))).toBe(reference(text));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['"\\ud800"', true],
    ['"\\ud800x"', true],
    ['"\\udc00"', true],
    ['"\\uD83D\\uDE80"', false],
    ['"\\ud83d\\ude80\\ude80"', true],
    ['"\\\\ud800"', false],
    ['"\\\\\\ud800"', true],
    ['"\\u0041\\ud800"', true],
    ['{"\\udfff":1}', true],
    ['"plain"', false],
    // A high surrogate is paired only by a \u escape right after it: not by text, nor by another escape.
    ['"\\ud800xudc00"', true],
    ['"\\ud800\\ndc00"', true],
    // The ends of both ranges.
    ['"\\udbff\\udfff"', false],
    ['"\\ud800\\udc00"', false],
    ['"\\udbff"', true],
    ['"\\ud7ff\\udc00"', true],
    ['"\\ue000"', false],
    // Found wherever it starts, in either case.
    ['"\\uD800"', true],
  ])('%s → %s', (text, lone) => {
    expect(hasLoneSurrogateEscape(Buffer.from(text))).toBe(lone);
  });
});

describe('isSoundJsonText', () => {
  it('refuses bytes that are not UTF-8, CESU-8 surrogates and overlong forms included', () => {
    for (const bytes of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
      expect(isSoundJsonText(Buffer.concat([Buffer.from('"'), Buffer.from(bytes), Buffer.from('"')]))).toBe(false);
    }
    expect(isSoundJsonText(Buffer.from('"café 🚀"'))).toBe(true);
  });
});
