import { isIP } from 'node:net';
import { refusedAddress, REFUSED_TEXT } from './address-policy.js';

export type UrlCheck = { ok: true; url: URL; host: { ip: string } | { name: string } } | { ok: false; reason: string };

/**
 * What can be decided about an outbound URL without the network: WHATWG parsing (the parser
 * `fetch` itself uses, so what is checked is what would be dialled: it turns decimal, hex,
 * octal and short IPv4 forms into dotted quads, drops an IPv4 host's trailing dot and
 * compresses IPv6), the scheme, the absence of credentials, and a literal address's range.
 * A name is left to the resolver (see createOutboundGuard).
 */
export function checkOutboundUrl(text: string): UrlCheck {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'must be an absolute http(s) URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'must use http or https' };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'must not carry a user name or password' };
  const bare = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(bare) === 0) return { ok: true, url, host: { name: url.hostname } };
  const refused = refusedAddress(bare);
  if (refused === 'invalid') return { ok: false, reason: 'must name a valid host' };
  if (refused) return { ok: false, reason: `must not point at ${REFUSED_TEXT[refused]}` };
  return { ok: true, url, host: { ip: bare } };
}

/** The form kept in settings: the parsed URL (as it will be dialled), without trailing slashes. */
export const normalizedUrl = (url: URL): string => url.href.replace(/\/+$/, '');
