import { HecklerError } from '../../engine/errors.js';

/** Errors that mean the engine itself could not be reached, not that it refused a request. */
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EACCES',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The HTTP status of a refusal from the engine (404 no such container, 409 conflict …). */
export const statusOf = (error: unknown): number | undefined => {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
};

/** The engine's own words from a refusal, without dockerode's "(HTTP code 404) …" wrapping. */
export const reasonOf = (error: unknown): string => {
  const json = (error as { json?: unknown } | null)?.json;
  const message = (json as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  if (error instanceof Error) return error.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  return String(error);
};

export const engineUnavailable = (host: string, cause: unknown, detail?: string): HecklerError =>
  new HecklerError(
    'ENGINE_UNAVAILABLE',
    `the Docker engine at ${host} is not answering (${detail ?? reasonOf(cause)})`,
    { hint: 'check that dockerd runs on that host and that the address in the config is right', cause },
  );

export interface CallOptions {
  host: string;
  /** dockerode's own `timeout` would also cut long streams; each short call gets its own limit. */
  timeoutMs: number;
  /** The caller's abort (a killed build): its reason is rethrown untouched. */
  signal?: AbortSignal | undefined;
}

/**
 * One request to the engine with a deadline. Connection failures and deadlines become
 * ENGINE_UNAVAILABLE; the engine's refusals (404, 409, 500) pass through for the caller to judge.
 * The signal handed to `operation` aborts the request where dockerode supports it; the race below
 * holds the deadline even where it does not (image inspect, a hijacked exec start).
 */
export const engineCall = async <T>(
  { host, timeoutMs, signal }: CallOptions,
  operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> => {
  signal?.throwIfAborted();
  const deadline = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const late = () => engineUnavailable(host, undefined, `no answer within ${timeoutMs / 1000} s`);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal?.aborted ? signal.reason : late());
    combined.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  const pending = operation(combined);
  try {
    return await Promise.race([pending, aborted]);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (deadline.aborted) throw late();
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && connectionCodes.has(code)) throw engineUnavailable(host, error);
    throw error;
  } finally {
    combined.removeEventListener('abort', onAbort);
    // A result that arrives after we gave up: close a stream nobody will read.
    if (combined.aborted) void pending.then(closeLeftover, () => undefined);
  }
};

const closeLeftover = (value: unknown): void => {
  const stream = value as { destroy?: unknown } | null;
  if (stream && typeof stream.destroy === 'function') stream.destroy();
};
