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

/** Node's constructors are plain functions today; a class cannot be `.call`ed. */
const callable = (f: unknown): boolean => typeof f === 'function' && !/^class\b/.test(Function.prototype.toString.call(f));

type How = 'call' | 'construct';

/*
 * Constructors whose instances are built by Node's (`Base`) but born with `proto`.
 *
 * A plain-function `Base` (Node's today) is applied to the `this` that `new` made from our
 * prototype. A class cannot be applied: it is built with `Reflect.construct(Base, args,
 * new.target)`, which gives the object `new.target.prototype` (ours) whatever `Base` is.
 * `Reflect.construct` is not used for functions as well because V8 (Node 20) caches the map
 * it derives only for a class `new.target`: with our plain function every object got a map
 * of its own, which measured 4x the CPU per request, as slow as no request classes at all
 * (see docs/decisions/request-classes.md).
 */

function constructing<T extends abstract new (...args: never[]) => object>(Base: T, proto: object): T {
  function Born(...args: unknown[]): object {
    return Reflect.construct(Base, args, new.target) as object;
  }
  Born.prototype = proto;
  return Born as unknown as T;
}

// One function literal each (not one shared helper): V8 keeps type feedback per literal, and
// these two run on every request.
function callingRequest(Base: RequestClass, proto: object): RequestClass {
  const base = Base as unknown as (this: object, socket: Socket) => void;
  function AppRequest(this: object, socket: Socket) {
    base.call(this, socket);
  }
  AppRequest.prototype = proto;
  return AppRequest as unknown as RequestClass;
}

function callingResponse(Base: ResponseClass, proto: object): ResponseClass {
  const base = Base as unknown as (this: object, req: http.IncomingMessage, options?: object) => void;
  function AppResponse(this: object, req: http.IncomingMessage, options?: object) {
    base.call(this, req, options);
  }
  AppResponse.prototype = proto;
  return AppResponse as unknown as ResponseClass;
}

/** Builds one request and one response the way Node's server does, and checks what came out. */
function probe(classes: RequestClasses, app: Express): boolean {
  const socket = new Socket();
  try {
    const req = new classes.IncomingMessage(socket);
    const res = new classes.ServerResponse(req);
    return (
      req.socket === socket &&
      (res as { req?: unknown }).req === req &&
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
 * classes (slower, same behaviour). `how` says which way they are built. `bases` is for tests.
 */
export function appRequestClasses(app: Express, bases: RequestClasses = NODE_CLASSES): (RequestClasses & { how: How }) | undefined {
  const how: How = callable(bases.IncomingMessage) && callable(bases.ServerResponse) ? 'call' : 'construct';
  const classes: RequestClasses = {
    IncomingMessage: how === 'call' ? callingRequest(bases.IncomingMessage, app.request) : constructing(bases.IncomingMessage, app.request),
    ServerResponse: how === 'call' ? callingResponse(bases.ServerResponse, app.response) : constructing(bases.ServerResponse, app.response),
  };
  return probe(classes, app) ? { ...classes, how } : undefined;
}

/**
 * The HTTP server for the app (what `app.listen` would build, minus the per-request
 * prototype switch), answering requests Node's parser refuses in the contract's error shape.
 * Logs one warning when the requests cannot be born on the fast path.
 */
export function createHttpServer(app: Express, logger?: Pick<Logger, 'warn'>, bases?: RequestClasses): http.Server {
  const classes = appRequestClasses(app, bases);
  if (!classes) logger?.warn('request classes: this Node.js does not build requests with the app prototypes; using its own (slower, same behaviour)');
  else if (classes.how === 'construct') logger?.warn('request classes: Node builds requests from classes; built with Reflect.construct, which V8 does not speed up (same behaviour)');
  const server = http.createServer(classes ? { IncomingMessage: classes.IncomingMessage, ServerResponse: classes.ServerResponse } : {}, app);
  server.on('clientError', answerClientError);
  return server;
}
