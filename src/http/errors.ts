/** Every error code the contract names; the error handler never invents others. */
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
  'MISSING_EVENT_HEADER',
  'INVALID_SIGNATURE',
  'INVALID_PAYLOAD',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_IN_PROGRESS',
  'INVALID_IDEMPOTENCY_KEY',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorDetail {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, code: ErrorCode = `${what.toUpperCase()}_NOT_FOUND` as ErrorCode) =>
  new AppError(404, code, `${what} not found`);

export const badRequest = (code: ErrorCode, message: string, details?: ErrorDetail[]) =>
  new AppError(400, code, message, details);

export const conflict = (code: ErrorCode, message: string) => new AppError(409, code, message);
