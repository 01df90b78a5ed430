import type { LookupAddress } from 'node:dns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOutboundGuard, directFetch, isRefused, type HostResolver } from '../../src/outbound/outbound-guard.js';
import { AppError } from '../../src/http/errors.js';
import { sendJson, startStub, type Stub } from '../helpers/stub-server.js';

/**
 * The guard end to end, with loopback addresses only: a stub on 127.0.0.1, and 0.0.0.0 as the
 * refused address (Linux delivers a connection to 0.0.0.0 to the local host, so an unguarded
 * request to it reaches the stub, which is what makes these tests able to fail).
 */

const v4 = (address: string): LookupAddress => ({ address, family: 4 });

/** A resolver that answers from a script, one answer per query, and counts the queries. */
function scripted(answers: LookupAddress[][]): HostResolver & { queries: string[] } {
  const queries: string[] = [];
  const resolve = async (hostname: string) => {
    queries.push(hostname);
    const next = answers[Math.min(queries.length - 1, answers.length - 1)]!;
    return next;
  };
  return Object.assign(resolve, { queries });
}

let stub: Stub;
let port: number;
beforeEach(async () => {
  stub = await startStub((_req, res) => sendJson(res, 200, { instance: { state: 'open' } }));
  port = Number(new URL(stub.url).port);
});
afterEach(() => stub.close());

const GET = { method: 'GET' } as const;

describe('createOutboundGuard().fetch', () => {
  it('connects to the address its lookup checked, resolving once per request', async () => {
    const resolve = scripted([[v4('127.0.0.1')]]);
    const guard = createOutboundGuard(resolve);
    const res = await guard.fetch(`http://evolution.test:${port}/instance/connectionState/x`, GET);
    expect(res.status).toBe(200);
    expect(stub.requests.map((r) => r.path)).toEqual(['/instance/connectionState/x']);
    expect(stub.requests[0]!.headers.host).toBe(`evolution.test:${port}`);
    expect(resolve.queries).toEqual(['evolution.test']);
  });

  it('refuses a name that rebinds to 0.0.0.0 after answering 127.0.0.1, and sends nothing there', async () => {
    const resolve = scripted([[v4('127.0.0.1')], [v4('0.0.0.0')]]);
    const guard = createOutboundGuard(resolve);
    await guard.fetch(`http://rebind.test:${port}/first`, GET);
    const second = await guard.fetch(`http://rebind.test:${port}/second`, GET).catch((e: unknown) => e);
    expect(isRefused(second)).toBe(true);
    expect(stub.requests.map((r) => r.path)).toEqual(['/first']);
    expect(resolve.queries).toEqual(['rebind.test', 'rebind.test']);
  });

  it('refuses a name when any of its addresses is refused (no fallback to the others)', async () => {
    const guard = createOutboundGuard(scripted([[v4('127.0.0.1'), v4('0.0.0.0')]]));
    const err = await guard.fetch(`http://mixed.test:${port}/`, GET).catch((e: unknown) => e);
    expect(isRefused(err)).toBe(true);
    expect(stub.requests).toHaveLength(0);
  });

  it('refuses literal unspecified addresses in every notation before any connection', async () => {
    // Without the guard, 0.0.0.0 reaches the stub: the refusal below is the guard's doing.
    await directFetch(`http://0.0.0.0:${port}/unguarded`, GET);
    expect(stub.requests.map((r) => r.path)).toEqual(['/unguarded']);
    const resolve = scripted([[v4('127.0.0.1')]]);
    const guard = createOutboundGuard(resolve);
    for (const host of ['0.0.0.0', '0', '0x0', '00', '0.0', '0.0.0.0.', '[::]', '[::ffff:0.0.0.0]', '[::ffff:0:0]', '[0:0:0:0:0:ffff:0000:0000]']) {
      const err = await guard.fetch(`http://${host}:${port}/guarded`, GET).catch((e: unknown) => e);
      expect(isRefused(err), host).toBe(true);
    }
    expect(stub.requests.map((r) => r.path)).toEqual(['/unguarded']);
    expect(resolve.queries).toEqual([]);
  });

  it('lets loopback literals through (the contract keeps them allowed)', async () => {
    const guard = createOutboundGuard(scripted([]));
    for (const host of ['127.0.0.1', '0x7f.1', '2130706433', '0177.0.0.1']) {
      expect((await guard.fetch(`http://${host}:${port}/ok`, GET)).status, host).toBe(200);
    }
    expect(stub.requests).toHaveLength(4);
  });

  it('passes resolver failures on as ordinary connection errors', async () => {
    const guard = createOutboundGuard(async () => {
      throw Object.assign(new Error('no such host'), { code: 'ENOTFOUND' });
    });
    const err = (await guard.fetch(`http://missing.test:${port}/`, GET).catch((e: unknown) => e)) as { cause?: { code?: string } };
    expect(isRefused(err)).toBe(false);
    expect(err.cause?.code).toBe('ENOTFOUND');
  });
});

describe('createOutboundGuard().assertAllowed (configure time, no connection)', () => {
  const refusal = async (guard: ReturnType<typeof createOutboundGuard>, url: string) => {
    const err = await guard.assertAllowed(url, 'evolutionApiUrl').catch((e: unknown) => e);
    expect(err, url).toBeInstanceOf(AppError);
    return { status: (err as AppError).status, code: (err as AppError).code, message: (err as AppError).message };
  };

  it('accepts a name that resolves to allowed addresses only, and one that does not resolve (yet)', async () => {
    await createOutboundGuard(scripted([[v4('127.0.0.1'), { address: '::1', family: 6 }]])).assertAllowed('https://evolution.test/', 'f');
    await createOutboundGuard(async () => Promise.reject(new Error('ENOTFOUND'))).assertAllowed('https://later.test/', 'f');
  });

  it('answers 400 INVALID_URL for a name resolving to a refused address, in any IP notation the resolver returns', async () => {
    const cases: Array<[LookupAddress[], string]> = [
      [[v4('0.0.0.0')], 'an unspecified address'],
      [[v4('127.0.0.1'), v4('169.254.169.254')], 'a cloud metadata address'],
      [[{ address: '::ffff:a9fe:a9fe', family: 6 }], 'a cloud metadata address'],
      [[{ address: 'fd00:ec2::254', family: 6 }], 'a cloud metadata address'],
      [[v4('100.100.100.200')], 'a cloud metadata address'],
      [[{ address: 'fe80::1', family: 6 }], 'a link-local address'],
      [[v4('169.254.10.10')], 'a link-local address'],
      [[{ address: '::', family: 6 }], 'an unspecified address'],
    ];
    for (const [addresses, what] of cases) {
      const r = await refusal(createOutboundGuard(scripted([addresses])), 'http://evil.test./');
      expect(r).toEqual({ status: 400, code: 'INVALID_URL', message: `Invalid evolutionApiUrl: must not resolve to ${what}` });
    }
  });

  it('answers 400 INVALID_URL for literal addresses, schemes and credentials without resolving anything', async () => {
    const resolve = scripted([[v4('127.0.0.1')]]);
    const guard = createOutboundGuard(resolve);
    expect(await refusal(guard, 'http://0xA9FEA9FE/')).toMatchObject({ code: 'INVALID_URL', message: 'Invalid evolutionApiUrl: must not point at a cloud metadata address' });
    expect(await refusal(guard, 'gopher://127.0.0.1/')).toMatchObject({ message: 'Invalid evolutionApiUrl: must use http or https' });
    expect(await refusal(guard, 'http://admin:pw@127.0.0.1/')).toMatchObject({ message: 'Invalid evolutionApiUrl: must not carry a user name or password' });
    expect(resolve.queries).toEqual([]);
  });
});
