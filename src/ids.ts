import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** `length` characters of [0-9a-z] from the CSPRNG (rejection sampling keeps it unbiased). */
export function randomSlug(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 252 && out.length < length) out += ALPHABET[byte % 36];
    }
  }
  return out;
}

export const newId = (prefix: string, length = 6): string => `${prefix}-${randomSlug(length)}`;
