import { describe, expect, it } from 'vitest';
import { refusedAddress } from '../../src/outbound/address-policy.js';
import { normalizedUrl } from '../../src/outbound/outbound-url.js';

describe('outbound addresses at their edges', () => {
  it('takes brackets only as a pair: one bracket alone makes the text no address', () => {
    expect(refusedAddress('[::ffff:169.254.169.254]')).toBe('cloud-metadata');
    for (const s of ['[127.0.0.12', 'x127.0.0.1]', '[::12', 'x::1]', '127.0.0.1]', '[127.0.0.1']) expect(refusedAddress(s), s).toBe('invalid');
  });

  it('keeps a URL without any of its trailing slashes', () => {
    expect(normalizedUrl(new URL('http://127.0.0.1:8080/evolution//'))).toBe('http://127.0.0.1:8080/evolution');
    expect(normalizedUrl(new URL('http://127.0.0.1:8080///'))).toBe('http://127.0.0.1:8080');
    expect(normalizedUrl(new URL('http://127.0.0.1:8080/a/b'))).toBe('http://127.0.0.1:8080/a/b');
  });
});
