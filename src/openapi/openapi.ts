import { z, type ZodType } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../http/errors.js';
import type { RouteDef } from '../http/registry.js';

type Json = Record<string, unknown>;

/** Codes every /api operation can answer, whatever it does. */
const API_COMMON: ErrorCode[] = ['INVALID_ORG_ID', 'ORG_NOT_FOUND', 'INVALID_ACTOR_ID', 'RATE_LIMITED', 'INTERNAL_ERROR', 'DATABASE_UNAVAILABLE', 'UNAUTHORIZED', 'FORBIDDEN'];
const WITH_BODY: ErrorCode[] = ['VALIDATION_ERROR', 'INVALID_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE'];
const WRITE: ErrorCode[] = ['IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_IN_PROGRESS', 'VALIDATION_ERROR'];
/** Cross-site writes are refused on every state-changing method (see originCheck). */
const STATE_CHANGING = new Set(['post', 'put', 'patch', 'delete']);

const OPERATOR_NOTE =
  'Operator only: when the server sets API_TOKENS, this needs a `*` token; an org-bound token gets 403 FORBIDDEN ("Operator token required") and nothing changes.';

const schemaOf = (s: ZodType, io: 'input' | 'output'): Json => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  return rest;
};

/** The properties of an object schema (params, query), each with its own JSON Schema. */
function properties(s: ZodType | undefined): Array<{ name: string; schema: Json; required: boolean }> {
  if (!s) return [];
  const json = schemaOf(s, 'input');
  const props = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(props).map(([name, schema]) => ({ name, schema, required: required.has(name) }));
}

/** Express `/agents/:id` → OpenAPI `/agents/{id}`. */
export const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** The error codes an operation documents, grouped by status. */
export function errorCodesOf(def: Pick<RouteDef, 'method' | 'errors' | 'body' | 'query' | 'params' | 'invalid'>): ErrorCode[] {
  const codes = new Set<ErrorCode>([...API_COMMON, ...(def.errors ?? []), ...(def.invalid ?? []).map((r) => r.code)]);
  // Every POST/PUT/PATCH body is parsed before routing, whether the operation reads one or not.
  if (def.body || def.method === 'post' || def.method === 'put' || def.method === 'patch') WITH_BODY.forEach((c) => codes.add(c));
  if (def.query || def.params) codes.add('VALIDATION_ERROR');
  if (def.method === 'post' || def.method === 'delete') WRITE.forEach((c) => codes.add(c));
  if (STATE_CHANGING.has(def.method)) codes.add('ORIGIN_NOT_ALLOWED');
  return [...codes];
}

export function errorResponses(codes: ErrorCode[]): Json {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const c of codes) byStatus.set(ERROR_STATUS[c], [...(byStatus.get(ERROR_STATUS[c]) ?? []), c]);
  const out: Json = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: `Error: ${list.join(', ')}`,
      content: {
        'application/json': {
          schema: { allOf: [{ $ref: '#/components/schemas/Error' }, { type: 'object', properties: { code: { enum: list }, status: { const: status } } }] },
        },
      },
    };
  }
  return out;
}

function operation(def: RouteDef): Json {
  const params = [
    ...properties(def.params).map((p) => ({ name: p.name, in: 'path', required: true, schema: p.schema })),
    ...properties(def.query).map((p) => ({ name: p.name, in: 'query', required: p.required, schema: p.schema })),
    { $ref: '#/components/parameters/OrgId' },
    { $ref: '#/components/parameters/ActorId' },
    ...(def.method === 'post' || def.method === 'delete' ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : []),
  ];
  const status = String(def.status ?? 200);
  if (def.stream) return streamOperation(def, params);
  return {
    operationId: `${def.method}${toOpenApiPath(def.path).replace(/[{}]/g, '').replace(/(^|[/-])(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`,
    summary: def.summary,
    ...(def.access === 'operator' ? { description: OPERATOR_NOTE, 'x-access': 'operator' } : {}),
    tags: [def.tag],
    parameters: params,
    ...(def.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(def.body, 'input') } } } } : {}),
    responses: {
      [status]: {
        description: def.summary,
        content: { 'application/json': { schema: def.response ? schemaOf(def.response, 'output') : {} } },
      },
      // Every JSON answer carries an ETag: a GET with a matching If-None-Match gets 304.
      ...(def.method === 'get' ? { '304': { description: 'Not modified: the ETag sent in If-None-Match still matches' } } : {}),
      ...errorResponses(errorCodesOf(def)),
    },
  };
}

/** `Event_audit_appended` for `audit.appended`: the component holding that event's frame data. */
export const eventComponent = (type: string): string => `Event_${type.replace(/\W/g, '_')}`;

function streamOperation(def: RouteDef, params: Json[]): Json {
  const events = Object.keys(def.stream!);
  return {
    operationId: `${def.method}${toOpenApiPath(def.path).replace(/[{}]/g, '').replace(/(^|[/-])(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`,
    summary: def.summary,
    tags: [def.tag],
    parameters: [...params, { name: 'Last-Event-ID', in: 'header', required: false, description: 'Resume after this audit cursor', schema: { type: 'string' } }],
    responses: {
      '200': {
        description: def.summary,
        content: {
          'text/event-stream': {
            // OpenAPI 3.1 has no schema for the items of a stream: the schema is that of one
            // frame's `data:` JSON, one component per event type.
            schema: {
              description: `Frames \`event: <type>\` and \`data: <JSON>\` (audit.appended frames also \`id: <cursor>\`), one blank line after each; comment lines keep the stream alive. The schema is that of a frame's data line. Types: ${events.join(', ')}.`,
              oneOf: events.map((t) => ({ $ref: `#/components/schemas/${eventComponent(t)}` })),
            },
          },
        },
      },
      ...errorResponses(errorCodesOf(def)),
    },
  };
}

/** The components of every streamed event's frame data. */
function streamSchemas(routes: readonly RouteDef[]): Json {
  const out: Json = {};
  for (const def of routes) for (const [type, schema] of Object.entries(def.stream ?? {})) out[eventComponent(type)] = schemaOf(schema, 'output');
  return out;
}

/** Operations outside the /api registry (health, webhooks, docs), described beside their code. */
export interface ExtraOperation {
  method: string;
  path: string;
  op: Json;
}

/** An extra operation from a zod response schema and the codes it can answer. */
export function extraOperation(o: { method: string; path: string; id: string; summary: string; tag: string; response: ZodType; codes: ErrorCode[]; headers?: Json[]; body?: Json }): ExtraOperation {
  return {
    method: o.method,
    path: o.path,
    op: {
      operationId: o.id,
      summary: o.summary,
      tags: [o.tag],
      parameters: o.headers ?? [],
      ...(o.body ? { requestBody: { required: true, content: o.body } } : {}),
      responses: {
        '200': { description: o.summary, content: { 'application/json': { schema: schemaOf(o.response, 'output') } } },
        ...errorResponses(o.codes),
      },
    },
  };
}

export function buildOpenApi(routes: readonly RouteDef[], version: string, extra: readonly ExtraOperation[]): Json {
  const paths: Record<string, Json> = {};
  for (const def of routes) {
    const p = `/api${toOpenApiPath(def.path)}`;
    paths[p] = { ...paths[p], [def.method]: operation(def) };
  }
  for (const e of extra) paths[e.path] = { ...paths[e.path], [e.method]: e.op };
  return {
    openapi: '3.1.0',
    info: {
      title: 'CodeSpar API',
      version,
      description:
        'The control plane for CodeSpar agents. Every /api path is also served under /v1/api, and /webhooks/github under /v1/webhooks/github. Errors share one body: {error, code, status}.',
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/', description: 'This server' }],
    tags: [...new Set([...routes.map((r) => r.tag), 'Platform', 'Webhooks'])].map((name) => ({ name, description: `${name} operations` })),
    security: [{}, { bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Required when the server sets API_TOKENS' } },
      parameters: {
        OrgId: { name: 'x-org-id', in: 'header', required: false, description: 'Organization scope', schema: { type: 'string', pattern: '^[a-z0-9-]{1,64}$' } },
        ActorId: { name: 'x-actor-id', in: 'header', required: false, description: 'Who acts (audit actorId)', schema: { type: 'string', minLength: 1, maxLength: 128 } },
        IdempotencyKey: { name: 'Idempotency-Key', in: 'header', required: false, description: 'Makes a retried request safe', schema: { type: 'string', minLength: 1, maxLength: 255 } },
      },
      schemas: {
        ...streamSchemas(routes),
        Error: {
          type: 'object',
          required: ['error', 'code', 'status'],
          properties: {
            error: { type: 'string' },
            code: { type: 'string', enum: Object.keys(ERROR_STATUS) },
            status: { type: 'integer' },
            details: { type: 'array', items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
      },
    },
  };
}
