import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { refusedAddress } from '../../src/outbound/address-policy.js';
import { checkOutboundUrl } from '../../src/outbound/outbound-url.js';

/**
 * The outbound-address decision, on its own: no test here opens a connection. Addresses are
 * generated as numbers, decided by a small oracle written from the contract's list, and
 * rendered in every notation a URL may carry them in.
 */

type Decision = 'link-local' | 'unspecified' | 'cloud-metadata' | undefined;

/** The contract's list, as arithmetic on the 32-bit value. */
function oracle4(n: number): Decision {
  if (n === 0xa9fea9fe || n === 0x646464c8) return 'cloud-metadata';
  if (n >>> 16 === 0xa9fe) return 'link-local';
  if (n >>> 24 === 0) return 'unspecified';
  return undefined;
}

function oracle6(g: readonly number[]): Decision {
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const v4 = ((g[6]! << 16) | g[7]!) >>> 0;
  if (zero(0, 8)) return 'unspecified';
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local';
  if (g[0] === 0xfd00 && g[1] === 0xec2 && zero(2, 7) && g[7] === 0x254) return 'cloud-metadata';
  const mapped = zero(0, 5) && g[5] === 0xffff;
  const translated = zero(0, 4) && g[4] === 0xffff && g[5] === 0;
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && (zero(2, 6) || g[2] === 1);
  const compatible = zero(0, 6) && !(g[6] === 0 && g[7] === 1);
  return mapped || translated || nat64 || compatible ? oracle4(v4) : undefined;
}

const bytes = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const dotted = (n: number) => bytes(n).join('.');

/** IPv4 values, half of them drawn from the interesting neighbourhoods. */
const ipv4 = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.integer({ min: 0, max: 0xffff }).map((x) => (0xa9fe0000 | x) >>> 0),
  fc.integer({ min: 0, max: 0xffffff }),
  fc.constantFrom(0xa9fea9fe, 0x646464c8, 0, 0x7f000001, 0x646464c7, 0x646464c9, 0xa9fdffff, 0xa9ff0000, 0x01000000),
  fc.integer({ min: 0, max: 0xffffff }).map((x) => (0x7f000000 | x) >>> 0),
);

const radix = fc.constantFrom<'dec' | 'hex' | 'HEX' | 'oct'>('dec', 'hex', 'HEX', 'oct');
function inRadix(v: number, r: 'dec' | 'hex' | 'HEX' | 'oct'): string {
  if (r === 'hex') return `0x${v.toString(16)}`;
  if (r === 'HEX') return `0X${v.toString(16).toUpperCase()}`;
  if (r === 'oct') return `0${v.toString(8)}`;
  return String(v);
}

/** How a URL may spell an IPv4 host: the WHATWG parser (what fetch uses) reads all of these. */
const v4Notation = (n: number) =>
  fc.oneof(
    fc.constant(dotted(n)),
    radix.map((r) => inRadix(n, r)),
    fc.tuple(radix, radix, radix, radix).map((rs) => bytes(n).map((b, i) => inRadix(b, rs[i]!)).join('.')),
    // a.b.c16 and a.b24 short forms
    fc.tuple(radix, radix, radix).map(([r1, r2, r3]) => [inRadix(n >>> 24, r1), inRadix((n >>> 16) & 0xff, r2), inRadix(n & 0xffff, r3)].join('.')),
    fc.tuple(radix, radix).map(([r1, r2]) => [inRadix(n >>> 24, r1), inRadix(n & 0xffffff, r2)].join('.')),
  );

const hex16 = (x: number) => x.toString(16);
/** IPv4-mapped and NAT64 spellings of an IPv4 value, in brackets. */
const v4InV6 = (n: number) =>
  fc.constantFrom(
    `[::ffff:${dotted(n)}]`,
    `[::ffff:${hex16(n >>> 16)}:${hex16(n & 0xffff)}]`,
    `[0:0:0:0:0:FFFF:${hex16(n >>> 16).toUpperCase()}:${hex16(n & 0xffff).toUpperCase()}]`,
    `[0000:0000:0000:0000:0000:ffff:${dotted(n)}]`,
    `[64:ff9b::${dotted(n)}]`,
    `[::ffff:0:${dotted(n)}]`,
  );

const group = fc.integer({ min: 0, max: 0xffff });
const ipv6 = fc.oneof(
  fc.array(group, { minLength: 8, maxLength: 8 }),
  fc.tuple(fc.integer({ min: 0xfe80, max: 0xfebf }), fc.array(group, { minLength: 7, maxLength: 7 })).map(([a, rest]) => [a, ...rest]),
  fc.array(group, { minLength: 2, maxLength: 2 }).map(([a, b]) => [0, 0, 0, 0, 0, 0xffff, a!, b!]),
  fc.array(group, { minLength: 2, maxLength: 2 }).map(([a, b]) => [0x64, 0xff9b, 0, 0, 0, 0, a!, b!]),
  fc.array(group, { minLength: 2, maxLength: 2 }).map(([a, b]) => [0, 0, 0, 0, 0, 0, a!, b!]),
  fc.constantFrom([0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 1], [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254], [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x253], [0, 0, 0, 0, 0, 0xffff, 0xa9fe, 0xa9fe]),
);
const fullV6 = (g: readonly number[]) => g.map(hex16).join(':');
function compressedV6(g: readonly number[]): string {
  // Longest run of zero groups becomes '::'.
  let best = [-1, 0];
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > best[1]!) best = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best[1]! < 2) return fullV6(g);
  return `${g.slice(0, best[0]).map(hex16).join(':')}::${g.slice(best[0]! + best[1]!).map(hex16).join(':')}`;
}

const decisionOf = (host: string): Decision | 'allowed' | 'invalid-url' => {
  const r = checkOutboundUrl(`http://${host}:8080/evolution`);
  if (r.ok) return 'allowed';
  if (/link-local/.test(r.reason)) return 'link-local';
  if (/unspecified/.test(r.reason)) return 'unspecified';
  if (/metadata/.test(r.reason)) return 'cloud-metadata';
  return 'invalid-url';
};

const RUNS = { numRuns: 2000 };

describe('refusedAddress (ipaddr.js)', () => {
  it('decides every IPv4 address as the contract lists, in dotted, decimal, hex and octal notation', () => {
    fc.assert(
      fc.property(ipv4, radix, (n, r) => {
        expect(refusedAddress(dotted(n))).toBe(oracle4(n));
        expect(refusedAddress(inRadix(n, r))).toBe(oracle4(n));
      }),
      RUNS,
    );
  });

  it('decides every IPv6 address as the contract lists, including the IPv4 forms it carries', () => {
    fc.assert(
      fc.property(ipv6, (g) => {
        expect(refusedAddress(fullV6(g))).toBe(oracle6(g));
        expect(refusedAddress(compressedV6(g))).toBe(oracle6(g));
        expect(refusedAddress(`[${compressedV6(g).toUpperCase()}]`)).toBe(oracle6(g));
      }),
      RUNS,
    );
  });

  it('refuses a link-local address with a zone, and calls non-addresses invalid', () => {
    expect(refusedAddress('fe80::1%eth0')).toBe('link-local');
    for (const s of ['', 'localhost', '1.2.3.4.5', '256.1.1.1', '::ffff:zz', 'example.com']) expect(refusedAddress(s), s).toBe('invalid');
  });

  it('allows loopback and private ranges (local services and tests need them)', () => {
    for (const a of ['127.0.0.1', '::1', '10.1.2.3', '172.16.0.1', '192.168.1.1', 'fd00::1', 'fc00::1', '100.64.0.1', '100.100.100.199']) {
      expect(refusedAddress(a), a).toBeUndefined();
    }
  });
});

describe('checkOutboundUrl: what a URL given through the API may name', () => {
  it('reads an IPv4 host in every notation, with or without a trailing dot, as the dotted address fetch would dial', () => {
    fc.assert(
      fc.property(
        ipv4.chain((n) => fc.tuple(fc.constant(n), v4Notation(n), fc.boolean())),
        ([n, host, dot]) => {
          const spelled = dot ? `${host}.` : host;
          const r = checkOutboundUrl(`http://${spelled}:8080/`);
          if (oracle4(n)) {
            expect(r.ok, spelled).toBe(false);
            expect(decisionOf(spelled)).toBe(oracle4(n));
          } else {
            expect(r, spelled).toMatchObject({ ok: true, host: { ip: dotted(n) } });
          }
        },
      ),
      RUNS,
    );
  });

  it('reads IPv4-mapped, translated and NAT64 IPv6 hosts as the IPv4 address they reach', () => {
    fc.assert(
      fc.property(
        ipv4.chain((n) => fc.tuple(fc.constant(n), v4InV6(n))),
        ([n, host]) => {
          expect(decisionOf(host), host).toBe(oracle4(n) ?? 'allowed');
        },
      ),
      RUNS,
    );
  });

  it('decides bracketed IPv6 hosts in full and compressed forms', () => {
    fc.assert(
      fc.property(ipv6, fc.boolean(), (g, compress) => {
        const host = `[${compress ? compressedV6(g) : fullV6(g)}]`;
        expect(decisionOf(host), host).toBe(oracle6(g) ?? 'allowed');
      }),
      RUNS,
    );
  });

  it('refuses the notations an attacker reaches for (named in the contract)', () => {
    const metadata = [
      'http://169.254.169.254/latest/meta-data/',
      'http://2852039166/',
      'http://0xA9FEA9FE/',
      'http://0xa9.0xfe.0xa9.0xfe/',
      'http://0251.0376.0251.0376/',
      'http://169.254.43518/',
      'http://169.16689662/',
      'http://169.254.169.254./',
      'http://[::ffff:169.254.169.254]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://[0:0:0:0:0:ffff:a9fe:a9fe]:80/',
      'http://[fd00:ec2::254]/',
      'http://100.100.100.200/',
      'https://0x646464c8/',
    ];
    for (const u of metadata) expect(checkOutboundUrl(u), u).toEqual({ ok: false, reason: 'must not point at a cloud metadata address' });
    for (const u of ['http://169.254.1.1/', 'http://[fe80::1]/', 'http://[FE80::abcd]:8080/', 'http://[febf::1]/']) {
      expect(checkOutboundUrl(u), u).toEqual({ ok: false, reason: 'must not point at a link-local address' });
    }
    for (const u of ['http://0.0.0.0/', 'http://0/', 'http://0x0/', 'http://0.0.0.0./', 'http://[::]/', 'http://[::ffff:0.0.0.0]/', 'http://0.1.2.3/']) {
      expect(checkOutboundUrl(u), u).toEqual({ ok: false, reason: 'must not point at an unspecified address' });
    }
  });

  it('refuses other schemes, credentials and unparseable text', () => {
    fc.assert(
      fc.property(fc.constantFrom('ftp', 'file', 'gopher', 'ws', 'wss', 'data', 'javascript', 'dict', 'ldap', 'HTTPX'), (scheme) => {
        expect(checkOutboundUrl(`${scheme}://127.0.0.1/x`)).toEqual({ ok: false, reason: 'must use http or https' });
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.option(fc.stringMatching(/^[a-z0-9]{1,8}$/), { nil: undefined }), (user, pass) => {
        const u = `https://${user}${pass === undefined ? '' : `:${pass}`}@evolution.example/`;
        expect(checkOutboundUrl(u)).toEqual({ ok: false, reason: 'must not carry a user name or password' });
      }),
    );
    expect(checkOutboundUrl('http://:secret@evolution.example/')).toEqual({ ok: false, reason: 'must not carry a user name or password' });
    for (const u of ['not a url', '/relative/path', 'http://', 'http://[fe80::1%25eth0]/', 'http://1.2.3.4.5/', 'http://256.0.0.1/']) {
      expect(checkOutboundUrl(u), u).toEqual({ ok: false, reason: 'must be an absolute http(s) URL' });
    }
  });

  it('leaves names to the resolver, trailing dot and all', () => {
    expect(checkOutboundUrl('https://Evolution.Example./api')).toMatchObject({ ok: true, host: { name: 'evolution.example.' } });
    expect(checkOutboundUrl('http://localhost:8080')).toMatchObject({ ok: true, host: { name: 'localhost' } });
    expect(checkOutboundUrl('http://127.0.0.1.nip.io/')).toMatchObject({ ok: true, host: { name: '127.0.0.1.nip.io' } });
  });
});
