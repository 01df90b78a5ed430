import { directFetch, isRefused, type TextFetch } from '../../outbound/outbound-guard.js';

export type ProbeResult = { ok: true; status: number; json: unknown } | { ok: false; error: string };

const causeCode = (err: unknown): string | undefined => {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
};

/**
 * One HTTP request bounded by `timeoutMs` (headers and body alike). Failures become a
 * short text naming the platform; the URL is never part of it, since Telegram carries
 * its token in the path. A target the outbound guard refuses is reported the same way
 * whatever is (or is not) listening there: nothing was sent, so there is nothing to tell.
 */
export async function probe(label: string, url: string, init: RequestInit, timeoutMs: number, send: TextFetch = directFetch): Promise<ProbeResult> {
  try {
    // No redirects: a credential header must not follow the request to another host.
    const { status, text } = await send(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { ok: true, status, json };
  } catch (err) {
    if (isRefused(err)) return { ok: false, error: `${label} address is not allowed` };
    const name = (err as { name?: string } | undefined)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return { ok: false, error: `${label} did not answer within ${timeoutMs} ms` };
    }
    const code = causeCode(err);
    return { ok: false, error: `${label} is unreachable${code ? ` (${code})` : ''}` };
  }
}

export const field = (json: unknown, key: string): unknown =>
  json !== null && typeof json === 'object' ? (json as Record<string, unknown>)[key] : undefined;
