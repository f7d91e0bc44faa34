import { escapeText, unescapeText } from './text/mrkdwn.js';

/**
 * Every failure a user can cause or act on is a HecklerError with a code. Callers branch on the
 * code, never on message text; `describeError` (src/commands/describe-error.ts) turns it into the
 * words a user sees.
 *
 * Message and hint are chat text: escaped mrkdwn (src/engine/text/mrkdwn.ts). Whatever comes from
 * outside the bot (a typed revision, a node name, git, Docker or ssh output, a file path, a YAML
 * problem) goes in through `escapeText`; mentions are made with `mention`.
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
  | 'PLAN_EXPIRED'
  /** A click or command quoted a view that has changed since (a review re-nooped). */
  | 'OUTDATED'
  /** Too many costly commands from one user in a short time. */
  | 'RATE_LIMITED'
  /** The chat service cannot be reached or will not talk to the bot (at start: the process exits). */
  | 'CHAT_UNAVAILABLE'
  /** A worker thread doing the bot's heavy work (grouping a delta) died under a job. */
  | 'WORKER_FAILED';

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

/** An error's words as literal text (for records that views escape, and for logs). */
export const errorText = (error: unknown): string =>
  isHecklerError(error)
    ? unescapeText(error.message)
    : error instanceof Error
      ? error.message
      : String(error);

/** An error's words as mrkdwn (for text that is already chat text). */
export const errorMrkdwn = (error: unknown): string =>
  isHecklerError(error) ? error.message : escapeText(errorText(error));
