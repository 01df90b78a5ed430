/** Every error code the API answers with; the error handler never invents others. */
export const ERROR_CODES = [
  'VALIDATION_ERROR',
  'INVALID_JSON',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
  'INVALID_ORG_ID',
  'ORG_NOT_FOUND',
  'INVALID_ACTOR_ID',
  'INVALID_PARAMETER',
  'MISSING_PARAMETER',
  'MISSING_FIELD',
  'AGENT_NOT_FOUND',
  'INVALID_AGENT_TYPE',
  'AGENT_ALREADY_EXISTS',
  'INVALID_ACTION',
  'INVALID_AUTONOMY_LEVEL',
  'PROJECT_NOT_FOUND',
  'PROJECT_EXISTS',
  'INVALID_REPO',
  'REPO_NOT_FOUND',
  'GITHUB_UNAVAILABLE',
  'MISSING_CONFIG',
  'ALREADY_LINKED',
  'NOT_LINKED',
  'CHANNEL_NOT_FOUND',
  'CHANNEL_DISABLED',
  'INVALID_CHANNEL',
  'IDENTITY_NOT_FOUND',
  'IDENTITY_CONFLICT',
  'MEMBER_EXISTS',
  'MEMBER_NOT_FOUND',
  'INVALID_SLUG',
  'ORG_ALREADY_EXISTS',
  'TASK_NOT_FOUND',
  'TASK_RUNNING',
  'MISSING_EVENT_HEADER',
  'INVALID_SIGNATURE',
  'INVALID_PAYLOAD',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_IN_PROGRESS',
  'ORIGIN_NOT_ALLOWED',
  'INVALID_URL',
  'ORG_REQUIRED',
  'MISSING_DELIVERY_ID',
  'SERVER_BUSY',
  'AMBIGUOUS_PROJECT',
  'APPROVAL_NOT_FOUND',
  'MISSING_ACTOR',
  'SELF_APPROVAL',
  'ALREADY_VOTED',
  'APPROVAL_CLOSED',
  'DATABASE_UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The one HTTP status each code is answered with (the OpenAPI document lists codes by it). */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 400,
  INVALID_JSON: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  INVALID_ORG_ID: 400,
  ORG_NOT_FOUND: 404,
  INVALID_ACTOR_ID: 400,
  INVALID_PARAMETER: 400,
  MISSING_PARAMETER: 400,
  MISSING_FIELD: 400,
  AGENT_NOT_FOUND: 404,
  INVALID_AGENT_TYPE: 400,
  AGENT_ALREADY_EXISTS: 409,
  INVALID_ACTION: 400,
  INVALID_AUTONOMY_LEVEL: 400,
  PROJECT_NOT_FOUND: 404,
  PROJECT_EXISTS: 409,
  INVALID_REPO: 400,
  REPO_NOT_FOUND: 404,
  GITHUB_UNAVAILABLE: 502,
  MISSING_CONFIG: 400,
  ALREADY_LINKED: 409,
  NOT_LINKED: 409,
  CHANNEL_NOT_FOUND: 404,
  CHANNEL_DISABLED: 400,
  INVALID_CHANNEL: 400,
  IDENTITY_NOT_FOUND: 404,
  IDENTITY_CONFLICT: 409,
  MEMBER_EXISTS: 409,
  MEMBER_NOT_FOUND: 404,
  INVALID_SLUG: 400,
  ORG_ALREADY_EXISTS: 409,
  TASK_NOT_FOUND: 404,
  TASK_RUNNING: 409,
  MISSING_EVENT_HEADER: 400,
  INVALID_SIGNATURE: 401,
  INVALID_PAYLOAD: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_IN_PROGRESS: 409,
  ORIGIN_NOT_ALLOWED: 403,
  INVALID_URL: 400,
  ORG_REQUIRED: 400,
  MISSING_DELIVERY_ID: 400,
  SERVER_BUSY: 503,
  AMBIGUOUS_PROJECT: 409,
  APPROVAL_NOT_FOUND: 404,
  MISSING_ACTOR: 400,
  SELF_APPROVAL: 403,
  ALREADY_VOTED: 409,
  APPROVAL_CLOSED: 409,
  DATABASE_UNAVAILABLE: 503,
};

export interface ErrorDetail {
  path: string;
  message: string;
}

/** An answer the API gives on purpose: its status always comes from ERROR_STATUS, by code. */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    /** Seconds a client should wait before trying again: sent as `Retry-After`. */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

/**
 * How long a refusal for load or an outage asks the client to wait (`Retry-After`): in-flight
 * deliveries finish, streams close and a pool reconnects in well under that.
 */
export const RETRY_AFTER_S = 5;

/** A refusal the client should retry after RETRY_AFTER_S seconds. */
export const retryLater = (code: ErrorCode, message: string) => new AppError(code, message, undefined, RETRY_AFTER_S);

export const notFound = (what: string, code: ErrorCode = `${what.toUpperCase()}_NOT_FOUND` as ErrorCode) =>
  new AppError(code, `${what} not found`);

export const badRequest = (code: ErrorCode, message: string, details?: ErrorDetail[]) => new AppError(code, message, details);

