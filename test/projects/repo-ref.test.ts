import { describe, expect, it } from 'vitest';
import { parseRepo, repoKey, repoUrl } from '../../src/projects/repo-ref.js';

describe('parseRepo', () => {
  it.each([
    ['acme/widget', 'acme', 'widget'],
    ['Acme-Corp/Widget.JS', 'Acme-Corp', 'Widget.JS'],
    ['a/b', 'a', 'b'],
    ['octo-org/my_repo-2.0', 'octo-org', 'my_repo-2.0'],
    ['acme/.github', 'acme', '.github'],
    ['acme/widget.git', 'acme', 'widget'],
    ['  acme/widget  ', 'acme', 'widget'],
  ])('reads the owner/name form %j', (input, owner, name) => {
    expect(parseRepo(input)).toEqual({ owner, name });
  });

  it.each([
    ['https://github.com/acme/widget', 'acme', 'widget'],
    ['https://github.com/acme/widget/', 'acme', 'widget'],
    ['https://github.com/acme/widget.git', 'acme', 'widget'],
    ['https://github.com/acme/widget.git/', 'acme', 'widget'],
    ['https://github.com/Acme/Widget', 'Acme', 'Widget'],
    ['HTTPS://GitHub.com/acme/widget', 'acme', 'widget'],
    ['https://www.github.com/acme/widget', 'acme', 'widget'],
    ['http://github.com/acme/widget', 'acme', 'widget'],
  ])('reads the GitHub URL form %j', (input, owner, name) => {
    expect(parseRepo(input)).toEqual({ owner, name });
  });

  it('accepts the longest names GitHub allows (39-character owner, 100-character repository)', () => {
    const owner = 'o'.repeat(39);
    const name = 'n'.repeat(100);
    expect(parseRepo(`${owner}/${name}`)).toEqual({ owner, name });
  });

  it.each([
    ['an empty string', ''],
    ['only spaces', '   '],
    ['a bare name', 'widget'],
    ['three segments', 'acme/widget/extra'],
    ['a leading slash', '/acme/widget'],
    ['a trailing slash without a URL', 'acme/widget/'],
    ['an empty owner', '/widget'],
    ['an empty name', 'acme/'],
    ['a space inside', 'acme/my widget'],
    ['an owner with an underscore', 'ac_me/widget'],
    ['an owner starting with a hyphen', '-acme/widget'],
    ['an owner ending with a hyphen', 'acme-/widget'],
    ['an owner with a double hyphen', 'ac--me/widget'],
    ['an owner of 40 characters', `${'o'.repeat(40)}/widget`],
    ['a name of 101 characters', `acme/${'n'.repeat(101)}`],
    ['a name with a forbidden character', 'acme/wid$get'],
    ['a name of one dot', 'acme/.'],
    ['a name of two dots', 'acme/..'],
    ['a name that is only .git', 'acme/.git'],
    ['another host', 'https://gitlab.com/acme/widget'],
    ['a lookalike host', 'https://github.com.evil.io/acme/widget'],
    ['a host without scheme', 'github.com/acme/widget'],
    ['an SSH remote', 'git@github.com:acme/widget.git'],
    ['a ssh:// URL', 'ssh://git@github.com/acme/widget'],
    ['a URL to a subpage', 'https://github.com/acme/widget/tree/main'],
    ['a URL with a query', 'https://github.com/acme/widget?tab=readme'],
    ['a URL with a fragment', 'https://github.com/acme/widget#readme'],
    ['a URL with only an owner', 'https://github.com/acme'],
    ['a URL with two trailing slashes', 'https://github.com/acme/widget//'],
    ['a URL with credentials', 'https://user:pw@github.com/acme/widget'],
    ['a URL with a port', 'https://github.com:443/acme/widget'],
    ['path traversal', '../acme/widget'],
    ['text before a GitHub URL', 'see https://github.com/acme/widget'],
    ['a GitHub URL inside another URL', 'https://example.com/https://github.com/acme/widget'],
  ])('rejects %s (%j)', (_label, input) => {
    expect(parseRepo(input)).toBeUndefined();
  });
});

describe('repoKey and repoUrl', () => {
  it('compares repositories case-insensitively', () => {
    expect(repoKey({ owner: 'Acme', name: 'Widget' })).toBe('acme/widget');
    expect(repoKey('ACME/widget')).toBe(repoKey('acme/WIDGET'));
  });

  it('builds the canonical GitHub URL', () => {
    expect(repoUrl('acme/widget')).toBe('https://github.com/acme/widget');
  });
});
