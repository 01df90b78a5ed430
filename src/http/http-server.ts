import http from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';
import { answerClientError } from './client-error.js';

type RequestClass = typeof http.IncomingMessage;
type ResponseClass = typeof http.ServerResponse;

/** Node's request and response constructors are plain functions today; a class cannot be `.call`ed. */
const callable = (f: unknown): boolean => typeof f === 'function' && !/^class\b/.test(Function.prototype.toString.call(f));

/**
 * Request and response constructors whose instances are born with the app's prototypes
 * (`app.request`, `app.response`).
 *
 * Express 5 moves every request and response onto those prototypes with
 * `Object.setPrototypeOf` as it enters the app. In V8 an object whose prototype was changed
 * gets a map of its own, so every property later added to it (by Express, by middleware,
 * by us) makes yet another map: each such write costs a few microseconds and every access
 * site goes megamorphic. Measured here, this made a bare Express 5 answer cost about 3× the
 * CPU it needs (expressjs/express#5998). When the objects already have the right
 * prototype, Express's `setPrototypeOf` changes nothing and the maps stay shared.
 *
 * Undefined when this Node.js builds them from classes, which cannot be called this way:
 * the server then falls back to Node's own (slower, same behaviour).
 */
export function appRequestClasses(app: Express): { IncomingMessage: RequestClass; ServerResponse: ResponseClass } | undefined {
  if (!callable(http.IncomingMessage) || !callable(http.ServerResponse)) return undefined;
  const BaseRequest = http.IncomingMessage as unknown as (this: object, socket: Socket) => void;
  const BaseResponse = http.ServerResponse as unknown as (this: object, req: http.IncomingMessage, options?: object) => void;
  function AppRequest(this: object, socket: Socket) {
    BaseRequest.call(this, socket);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: object, req: http.IncomingMessage, options?: object) {
    BaseResponse.call(this, req, options);
  }
  AppResponse.prototype = app.response;
  return {
    IncomingMessage: AppRequest as unknown as RequestClass,
    ServerResponse: AppResponse as unknown as ResponseClass,
  };
}

/**
 * The HTTP server for the app (what `app.listen` would build, minus the per-request
 * prototype switch), answering requests Node's parser refuses in the contract's error shape.
 */
export function createHttpServer(app: Express): http.Server {
  const server = http.createServer(appRequestClasses(app) ?? {}, app);
  server.on('clientError', answerClientError);
  return server;
}
