/**
 * Every failure a user can cause or act on is a HecklerError with a code. Callers branch on the
 * code, never on message text; `describeError` (src/commands/describe-error.ts) turns it into the
 * words a user sees.
 */
export type ErrorCode =
  | 'USAGE'
  | 'UNKNOWN_COMMAND'
  | 'NOT_AUTHORIZED'
  | 'CONFIG_INVALID'
  | 'PIPELINE_INVALID'
  | 'NOT_FOUND'
  | 'LOCK_HELD'
  | 'STORE_UNAVAILABLE'
  | 'UNKNOWN_REVISION'
  | 'REPO_UNAVAILABLE'
  | 'NODE_UNREACHABLE'
  | 'IMAGE_MISSING'
  | 'ENGINE_UNAVAILABLE'
  | 'ROLLBACK_REFUSED'
  | 'PLAN_BLOCKED'
  | 'PLAN_EXPIRED';

export interface HecklerErrorOptions {
  /** What the user can do about it, in one sentence. */
  hint?: string;
  cause?: unknown;
}

export class HecklerError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: HecklerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HecklerError';
    this.code = code;
    this.hint = options.hint;
  }
}

export const isHecklerError = (error: unknown, code?: ErrorCode): error is HecklerError =>
  error instanceof HecklerError && (code === undefined || error.code === code);
