import { expect } from 'vitest';
import type { Response } from 'supertest';

/**
 * Asserts the contract's error body exactly: `{error, code, status}` (plus `details`
 * for validation errors), with `status` equal to the HTTP status.
 */
export function expectError(res: Response, status: number, code: string, message?: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json; charset=utf-8/);
  const { details, ...rest } = res.body as Record<string, unknown>;
  expect(Object.keys(rest).sort()).toEqual(['code', 'error', 'status']);
  expect(rest.code).toBe(code);
  expect(rest.status).toBe(status);
  expect(typeof rest.error).toBe('string');
  if (message !== undefined) expect(rest.error).toBe(message);
  if (details !== undefined) {
    expect(Array.isArray(details)).toBe(true);
    for (const d of details as unknown[]) {
      expect(Object.keys(d as object).sort()).toEqual(['message', 'path']);
    }
  }
}
