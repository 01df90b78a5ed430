import { describe, expect, it } from 'vitest';
import { flag, json, rowShape } from '../../src/db/row-shape.js';

interface Thing {
  id: string;
  orgId: string;
  on: boolean;
  extra: { n: number } | null;
}
const THING = rowShape<Thing>({ id: 'id', orgId: 'org_id', on: ['is_on', flag], extra: ['extra', json<{ n: number }>()] });

describe('row shapes', () => {
  it('selects each column under its field name, prefixed by a table alias when given', () => {
    expect(THING.select()).toBe('id, org_id AS "orgId", is_on AS "on", extra');
    expect(THING.select('t')).toBe('t.id, t.org_id AS "orgId", t.is_on AS "on", t.extra');
  });

  it('decodes flags and JSON from a row object, leaving the other fields as read', () => {
    expect(THING.read({ id: 'a', orgId: 'o', on: 1, extra: '{"n":2}' })).toEqual({ id: 'a', orgId: 'o', on: true, extra: { n: 2 } });
    expect(THING.read({ id: 'a', orgId: 'o', on: 0, extra: null })).toEqual({ id: 'a', orgId: 'o', on: false, extra: null });
    expect(THING.read({ id: 'a', orgId: 'o', on: 1, extra: '' }).extra).toBeNull();
  });

  it('reads an array row in select order into the same object, fields in declared order', () => {
    const thing = THING.readArray(['a', 'o', 1, '{"n":3}']);
    expect(thing).toEqual({ id: 'a', orgId: 'o', on: true, extra: { n: 3 } });
    expect(Object.keys(thing)).toEqual(['id', 'orgId', 'on', 'extra']);
  });

  it('hands back a row without decoders as it came', () => {
    const plain = rowShape<{ id: string; at: string }>({ id: 'id', at: 'created_at' });
    const row = { id: 'x', at: 't' };
    expect(plain.read(row)).toBe(row);
    expect(plain.select()).toBe('id, created_at AS "at"');
  });
});
