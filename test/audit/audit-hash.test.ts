import { describe, expect, it } from 'vitest';
import { chainHash, chainHashOfBody, hashedBody, type HashedFields } from '../../src/audit/audit.hash.js';

describe('documented hash', () => {
  it('chains as documented: sha256 of the previous hex and the six fields, concatenated', () => {
    const f: HashedFields = { timestamp: '2026-01-01T00:00:00.000Z', actorType: 'user', actorId: 'api', action: 'status', result: 'completed', metadataJson: '{}' };
    expect(hashedBody(f)).toBe('2026-01-01T00:00:00.000Zuserapistatuscompleted{}');
    expect(chainHash('0'.repeat(64), f)).toBe(chainHashOfBody('0'.repeat(64), '2026-01-01T00:00:00.000Zuserapistatuscompleted{}'));
    expect(chainHashOfBody('0'.repeat(64), '')).toBe('60e05bd1b195af2f94112fa7197a5c88289058840ce7c6df9693756bc6250f55');
  });
});
