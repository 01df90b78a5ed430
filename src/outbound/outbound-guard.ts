import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { AppError } from '../http/errors.js';
import { refusedAddress, REFUSED_TEXT } from './address-policy.js';
import { checkOutboundUrl } from './outbound-url.js';

/** Every address a host name resolves to; injectable so tests can play a rebinding DNS. */
export type HostResolver = (hostname: string) => Promise<LookupAddress[]>;

// undici takes longer to load than the rest of the server together; only a guarded request
// needs it, so it is loaded on the first one rather than at start-up.
let undici: Promise<typeof import('undici')> | undefined;
const loadUndici = () => (undici ??= import('undici'));

export const systemResolver: HostResolver = (hostname) => dnsLookup(hostname, { all: true });

/** The error code a refused connection fails with (in `cause` once fetch has wrapped it). */
export const OUTBOUND_REFUSED = 'EOUTBOUNDREFUSED';

class OutboundRefused extends Error {
  readonly code = OUTBOUND_REFUSED;
}

/** True when a request failed because the guard refused its target (nothing was sent). */
export function isRefused(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return e?.code === OUTBOUND_REFUSED || e?.cause?.code === OUTBOUND_REFUSED;
}

/** The first refused address among a name's addresses, described; else undefined. */
function refusedAmong(addresses: readonly LookupAddress[]): string | undefined {
  for (const a of addresses) {
    const r = refusedAddress(a.address);
    if (r) return r === 'invalid' ? 'an unusable address' : REFUSED_TEXT[r];
  }
  return undefined;
}

/** An HTTP exchange reduced to what connection checks read: the status and the body text. */
export type TextFetch = (url: string, init: RequestInit) => Promise<{ status: number; text: string }>;

/** Plain fetch, for URLs that come from the environment (trusted as given). */
export const directFetch: TextFetch = async (url, init) => {
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text() };
};

export interface OutboundGuard {
  /** Throws 400 INVALID_URL unless `text` is an acceptable http(s) URL whose host resolves only to allowed addresses. */
  assertAllowed(text: string, field: string): Promise<void>;
  /** fetch whose connection goes only to an address this guard has just checked. */
  fetch: TextFetch;
}

/**
 * Outbound requests to URLs given through the API. Addresses are classified by ipaddr.js;
 * the connection is pinned by handing undici a `lookup` that resolves, checks every address
 * and passes exactly those addresses to the socket, so a name that answers differently on
 * the next query (DNS rebinding) can only ever reach an address that passed the check.
 * A fresh dispatcher per request: no pooled socket outlives its check.
 */
export function createOutboundGuard(resolve: HostResolver = systemResolver): OutboundGuard {
  const lookup = (hostname: string, options: { all?: boolean; family?: number | string }, callback: (...args: unknown[]) => void) => {
    const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    resolve(hostname).then(
      (all) => {
        const refused = refusedAmong(all);
        if (refused) return callback(new OutboundRefused(`${hostname} resolves to ${refused}`));
        const usable = family === 0 ? all : all.filter((a) => a.family === family);
        if (usable.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
        if (options.all) return callback(null, usable);
        callback(null, usable[0]!.address, usable[0]!.family);
      },
      (err: unknown) => callback(err),
    );
  };

  return {
    async assertAllowed(text, field) {
      const checked = checkOutboundUrl(text);
      if (!checked.ok) throw new AppError('INVALID_URL', `Invalid ${field}: ${checked.reason}`);
      if (!('name' in checked.host)) return;
      // A name that does not resolve (yet) is kept: it refers to no refused address, and
      // every connection is checked again when it is made.
      const addresses = await resolve(checked.host.name).catch(() => []);
      const refused = refusedAmong(addresses);
      if (refused) throw new AppError('INVALID_URL', `Invalid ${field}: must not resolve to ${refused}`);
    },

    async fetch(url, init) {
      const checked = checkOutboundUrl(url);
      // Literal addresses never reach `lookup`: they are decided here.
      if (!checked.ok) throw new OutboundRefused(checked.reason);
      const { Agent, fetch: undiciFetch } = await loadUndici();
      const dispatcher = new Agent({ connect: { lookup: lookup as never } });
      try {
        const res = await undiciFetch(url, { ...(init as object), dispatcher });
        return { status: res.status, text: await res.text() };
      } finally {
        void dispatcher.destroy().catch(() => undefined);
      }
    },
  };
}
