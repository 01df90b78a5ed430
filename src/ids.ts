import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

// CSPRNG bytes drawn 4 KB at a time: ids are made on hot paths (every audit append).
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function randomByte(): number {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]!;
}

/** `length` characters of [0-9a-z] from the CSPRNG (rejection sampling keeps it unbiased). */
export function randomSlug(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte < 252) out += ALPHABET[byte % 36];
  }
  return out;
}

export const newId = (prefix: string, length = 6): string => `${prefix}-${randomSlug(length)}`;

let lastMs = 0;
let counter = 0;

/**
 * Ids that sort by creation within this process (time, then a counter, then randomness):
 * a unique index over them grows at its right edge instead of taking random inserts, which
 * keeps appends to a million-row audit trail cheap.
 */
export function orderedId(prefix: string): string {
  const ms = Date.now();
  if (ms > lastMs) {
    lastMs = ms;
    counter = 0;
  } else counter++;
  return `${prefix}-${lastMs.toString(36).padStart(9, '0')}${counter.toString(36).padStart(4, '0')}${randomSlug(6)}`;
}

/**
 * Inserts a row under a random id, drawing a new one while the id is taken. Short ids (6
 * characters: about 2·10⁹ values) meet an existing one by chance once a table holds tens of
 * thousands of rows; the table's key decides, so `insert` answers false (and writes nothing)
 * for a taken id.
 */
export async function insertWithFreshId<T extends { id: string }>(draw: () => T, insert: (row: T) => Promise<boolean>, tries = 5): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const row = draw();
    if (await insert(row)) return row;
  }
  throw new Error(`no free id after ${tries} draws`);
}
