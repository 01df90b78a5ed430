import ipaddr from 'ipaddr.js';

/** Why an address may not be the target of a URL given through the API. */
export type RefusedKind = 'link-local' | 'unspecified' | 'cloud-metadata';

// Instance-metadata services that sit outside the link-local range (Alibaba Cloud, and AWS's
// IPv6 endpoint); 169.254.169.254 (AWS, GCP, Azure, Oracle…) is link-local already.
const METADATA: ReadonlyArray<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [
  ipaddr.parseCIDR('100.100.100.200/32'),
  ipaddr.parseCIDR('fd00:ec2::254/128'),
];

// IPv6 forms that carry an IPv4 address in their last 32 bits and can deliver to it: mapped
// (::ffff:a.b.c.d), translated (::ffff:0:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d). The deprecated
// IPv4-compatible form (::a.b.c.d) is treated the same way, to be safe, except ::1, which is
// loopback and not 0.0.0.1 (:: itself never gets here: it is unspecified).
const EMBEDDING: ReadonlySet<string> = new Set(['ipv4Mapped', 'rfc6145', 'rfc6052']);

function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = v6.parts;
  const compatible = p.slice(0, 6).every((x) => x === 0) && !(p[6] === 0 && p[7] === 1);
  if (!EMBEDDING.has(v6.range()) && !compatible) return undefined;
  return new ipaddr.IPv4([p[6]! >> 8, p[6]! & 0xff, p[7]! >> 8, p[7]! & 0xff]);
}

function classify(ip: ipaddr.IPv4 | ipaddr.IPv6): RefusedKind | undefined {
  if (METADATA.some(([net, bits]) => ip.kind() === net.kind() && ip.match(net, bits))) return 'cloud-metadata';
  // ipaddr.js's own range table: 169.254.0.0/16 and fe80::/10 are `linkLocal`; `unspecified`
  // is :: and the whole of 0.0.0.0/8 ("this network", which Linux also delivers locally).
  const range = ip.range();
  if (range === 'linkLocal') return ip.kind() === 'ipv4' && ip.match(ipaddr.parse('169.254.169.254'), 32) ? 'cloud-metadata' : 'link-local';
  if (range === 'unspecified') return 'unspecified';
  if (ip.kind() === 'ipv6') {
    const v4 = embeddedIPv4(ip as ipaddr.IPv6);
    if (v4) return classify(v4);
  }
  return undefined;
}

/**
 * The decision on one IP address (any notation ipaddr.js reads: dotted, decimal, hex,
 * octal, short IPv4 forms, IPv6 with or without a zone), or `invalid` when it is not an
 * address. Loopback and private ranges are allowed: local development and tests need them.
 */
export function refusedAddress(address: string): RefusedKind | 'invalid' | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) return 'invalid';
  return classify(ipaddr.parse(bare));
}

export const REFUSED_TEXT: Record<RefusedKind, string> = {
  'link-local': 'a link-local address',
  unspecified: 'an unspecified address',
  'cloud-metadata': 'a cloud metadata address',
};
