import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeTestApp, type TestApp } from '../helpers/app.js';
import { expectError } from '../helpers/errors.js';
import { deriveSlug, isValidSlug } from '../../src/orgs/orgs.slug.js';

/** The slug rule written out plainly: groups of a–z and 0–9 joined by single hyphens, at most 50. */
const oracle = (s: string): boolean =>
  s.length <= 50 && s.split('-').every((g) => g.length > 0 && [...g].every((c) => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')));

// Each edge of each allowed range, its neighbours outside it, and characters a lax rule lets through.
const EDGES = ['a', 'b', 'y', 'z', '0', '1', '8', '9', '-', '`', '{', '/', ':', 'A', 'Z', '@', '[', '_', '.', ' ', '\n', 'é', 'ß'];
const slugish = fc.string({ unit: fc.constantFrom(...EDGES), maxLength: 60 });

describe('the slug rule (unit)', () => {
  it('accepts exactly the strings of lowercase letters and digits in groups joined by single hyphens, up to 50', () => {
    fc.assert(
      fc.property(slugish, (s) => {
        expect(isValidSlug(s)).toBe(oracle(s));
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts a valid slug of any length up to 50 and refuses the same one longer', () => {
    const group = fc.string({ unit: fc.constantFrom(...'abcxyz0189'), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(fc.array(group, { minLength: 1, maxLength: 8 }), (groups) => {
        const s = groups.join('-');
        expect(isValidSlug(s)).toBe(s.length <= 50);
      }),
    );
  });

  it('derives only valid slugs (or nothing), and leaves a valid slug as it is', () => {
    fc.assert(
      fc.property(fc.oneof(slugish, fc.string({ maxLength: 120 })), (name) => {
        const slug = deriveSlug(name);
        expect(slug === '' || isValidSlug(slug)).toBe(true);
        if (isValidSlug(name)) expect(deriveSlug(name)).toBe(name);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('POST /api/orgs with an explicit slug: every character class', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await makeTestApp();
  });
  afterEach(() => t.close());

  it.each(['a', 'z', '0', '9', '0a', '9z', 'a-0', 'z9-0a', 'abc-xyz-0189'])('accepts %j', async (slug) => {
    const res = await t.api().post('/api/orgs').send({ name: 'Edge', slug }).expect(201);
    expect(res.body).toMatchObject({ id: `org-${slug}`, slug });
  });

  it.each([
    ['a backtick (just before a)', 'a`'],
    ['a brace (just after z)', '{a'],
    ['a slash (just before 0)', '0/'],
    ['a colon (just after 9)', '9:'],
    ['an uppercase A', 'Abc'],
    ['an uppercase Z', 'abZ'],
    ['an at sign', 'a@b'],
    ['a dot', 'a.b'],
    ['a trailing newline', 'acme\n'],
    ['a leading newline', '\nacme'],
    ['a sharp s', 'stra\u00dfe'],
    ['only a hyphen', '-'],
  ])('refuses a slug with %s: 400 INVALID_SLUG, nothing written', async (_what, slug) => {
    expectError(await t.api().post('/api/orgs').send({ name: 'Edge', slug }), 400, 'INVALID_SLUG');
    expect((await t.api().get('/api/orgs').expect(200)).body).toHaveLength(1);
  });
});
