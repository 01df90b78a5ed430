import { describe, expect, it } from 'vitest';
import { cosine, createHashingEmbedder, fromBlob, toBlob } from '../../src/memory/embedder.js';

describe('hashing embedder', () => {
  const e = createHashingEmbedder();

  it('is deterministic, 256-dimensional and L2-normalized', () => {
    const a = e.embed('Fix the flaky login test');
    expect(a).toHaveLength(256);
    expect(Array.from(e.embed('Fix the flaky login test'))).toEqual(Array.from(a));
    expect(Math.sqrt(a.reduce((n, x) => n + x * x, 0))).toBeCloseTo(1, 6);
  });

  it('gives an all-zero vector to text without words', () => {
    expect(e.embed('  ?! ').every((x) => x === 0)).toBe(true);
  });

  it('ranks related text above unrelated text, ignoring case and punctuation', () => {
    const q = e.embed('login test');
    expect(cosine(q, e.embed('LOGIN, test!'))).toBeCloseTo(1, 5);
    expect(cosine(q, e.embed('the login test is flaky'))).toBeGreaterThan(cosine(q, e.embed('deploy billing service')));
  });

  it('round-trips through a BLOB', () => {
    const v = e.embed('round trip');
    expect(Array.from(fromBlob(toBlob(v)))).toEqual(Array.from(v));
  });
});
