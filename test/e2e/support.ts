import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { chromium, type Browser } from 'playwright-core';
import { createHttpServer } from '../../src/http/http-server.js';

const isExpress = (h: Express | http.RequestListener): h is Express => typeof (h as Express).use === 'function' && 'request' in h;

/** Debian's `chromium` package; CHROMIUM_PATH lets a developer point at another build. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that keep Chromium headless, unsandboxed (CI runs as root) and off the network by itself. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Playwright gives every launch a fresh temporary user-data-dir and removes it on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

export interface SeenRequest {
  method: string;
  url: string;
  origin: string | undefined;
  requestHeaders: string | undefined;
  status?: number;
}

export interface Listening {
  url: string;
  origin: string;
  /** Every request the server received, with the status it answered. */
  seen: SeenRequest[];
  close: () => Promise<void>;
}

/**
 * Serves a request handler on 127.0.0.1 on a free port, recording what reaches it. An
 * Express app is served the way server.ts serves it (createHttpServer).
 */
export async function listen(handler: Express | http.RequestListener): Promise<Listening> {
  const seen: SeenRequest[] = [];
  const server = isExpress(handler) ? createHttpServer(handler) : http.createServer(handler);
  // Runs before the handler: the recorder sees every request first.
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const entry: SeenRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      origin: req.headers.origin,
      requestHeaders: req.headers['access-control-request-headers'] as string | undefined,
    };
    seen.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    origin,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A one-page static site: the stand-in for a browser dashboard on its own origin. */
export function staticPage(html: string): http.RequestListener {
  return (req, res) => {
    if (req.method === 'GET' && (req.url === '/' || req.url?.startsWith('/?'))) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  };
}
