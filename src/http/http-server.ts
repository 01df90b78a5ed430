import http from 'node:http';
import { Socket } from 'node:net';
import type { Express } from 'express';
import type { Logger } from '../logger.js';
import { answerClientError } from './client-error.js';

type RequestClass = typeof http.IncomingMessage;
type ResponseClass = typeof http.ServerResponse;

export interface RequestClasses {
  IncomingMessage: RequestClass;
  ServerResponse: ResponseClass;
}

const NODE_CLASSES: RequestClasses = { IncomingMessage: http.IncomingMessage, ServerResponse: http.ServerResponse };

/**
 * A constructor whose instances are built by `Base` but born with `proto`. `Reflect.construct`
 * with `new.target` works whether `Base` is a plain function (Node's today) or a class (which
 * cannot be `.call`ed), and lets a subclass of ours keep its own prototype.
 */
function bornWith<T extends abstract new (...args: never[]) => object>(Base: T, proto: object): T {
  function Born(this: unknown, ...args: unknown[]): object {
    return Reflect.construct(Base, args, new.target ?? Born) as object;
  }
  Born.prototype = proto;
  return Born as unknown as T;
}

/** Builds one request and one response the way Node's server does, and checks what came out. */
function probe(classes: RequestClasses, app: Express): boolean {
  const socket = new Socket();
  try {
    const req = new classes.IncomingMessage(socket);
    const res = new classes.ServerResponse(req);
    return (
      Object.getPrototypeOf(req) === app.request &&
      Object.getPrototypeOf(res) === app.response &&
      req instanceof http.IncomingMessage &&
      res instanceof http.ServerResponse
    );
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

/**
 * Request and response constructors whose instances are born with the app's prototypes
 * (`app.request`, `app.response`).
 *
 * Express 5 moves every request and response onto those prototypes with
 * `Object.setPrototypeOf` as it enters the app. In V8 an object whose prototype was changed
 * gets a map of its own, so every property later added to it (by Express, by middleware,
 * by us) makes yet another map: each such write costs a few microseconds and every access
 * site goes megamorphic. Measured here, this made a bare Express 5 answer cost about 3× the
 * CPU it needs (see docs/decisions/request-classes.md). When the objects already have the
 * right prototype, Express's `setPrototypeOf` changes nothing and the maps stay shared.
 *
 * Undefined when a probe of the constructed objects does not come out as expected (a Node.js
 * whose constructors ignore `new.target`, say): the server then falls back to Node's own
 * classes (slower, same behaviour). `bases` is for tests.
 */
export function appRequestClasses(app: Express, bases: RequestClasses = NODE_CLASSES): RequestClasses | undefined {
  const classes: RequestClasses = {
    IncomingMessage: bornWith(bases.IncomingMessage, app.request),
    ServerResponse: bornWith(bases.ServerResponse, app.response),
  };
  return probe(classes, app) ? classes : undefined;
}

/**
 * The HTTP server for the app (what `app.listen` would build, minus the per-request
 * prototype switch), answering requests Node's parser refuses in the contract's error shape.
 * Logs one warning when it has to fall back to Node's own request classes.
 */
export function createHttpServer(app: Express, logger?: Pick<Logger, 'warn'>, bases?: RequestClasses): http.Server {
  const classes = appRequestClasses(app, bases);
  if (!classes) logger?.warn('request classes: this Node.js does not build requests with the app prototypes; using its own (slower, same behaviour)');
  const server = http.createServer(classes ?? {}, app);
  server.on('clientError', answerClientError);
  return server;
}
