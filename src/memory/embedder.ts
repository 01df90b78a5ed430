/** Turns text into a fixed-size vector; a real model can replace the default one. */
export interface Embedder {
  readonly name: string;
  readonly dimensions: number;
  /** L2-normalized (or all zeros for text without tokens), so cosine is a dot product. */
  embed(text: string): Float32Array;
}

export const DEFAULT_DIMENSIONS = 256;

/** FNV-1a, 32 bits: cheap, stable across runs and platforms. */
function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const tokenize = (text: string): string[] => text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];

/**
 * Feature hashing: each token (and each pair of neighbouring tokens, for a little word
 * order) adds ±1 to one of `dimensions` buckets; the sign comes from a second hash so
 * collisions cancel out on average instead of piling up.
 */
export function createHashingEmbedder(dimensions = DEFAULT_DIMENSIONS): Embedder {
  const add = (v: Float32Array, feature: string, weight: number) => {
    const h = fnv1a(feature);
    const sign = fnv1a(feature, 0x9747b28c) & 1 ? 1 : -1;
    v[h % dimensions]! += sign * weight;
  };
  return {
    name: `hashing-${dimensions}`,
    dimensions,
    embed(text: string): Float32Array {
      const v = new Float32Array(dimensions);
      const tokens = tokenize(text);
      tokens.forEach((t, i) => {
        add(v, t, 1);
        if (i > 0) add(v, `${tokens[i - 1]} ${t}`, 0.5);
      });
      let norm = 0;
      for (const x of v) norm += x * x;
      norm = Math.sqrt(norm);
      if (norm > 0) for (let i = 0; i < dimensions; i++) v[i]! /= norm;
      return v;
    },
  };
}

/** Cosine similarity of two normalized vectors; 0 when their sizes differ. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

export const toBlob = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** Copies: a Buffer from SQLite is not guaranteed to be 4-byte aligned. */
export const fromBlob = (b: Buffer): Float32Array => new Float32Array(new Uint8Array(b).buffer);
