import { afterEach, expect } from 'vitest';
import { violations } from './helpers/contract.js';

// Responses that drifted from the OpenAPI document fail the test that received them.
afterEach(() => {
  const found = violations.splice(0);
  expect(found, 'responses off the documented contract').toEqual([]);
});
