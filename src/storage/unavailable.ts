import { HecklerError } from '../engine/errors.js';

/** What a failing backend tells the user to check, e.g. the Redis URL or the data directory. */
export interface FailureHint {
  what: string;
  hint: string;
  /**
   * Every operation answers within this long, or fails. A network store that accepts the
   * connection but stops answering (frozen, overloaded, packets dropped) must not hang callers
   * that hold locks: @redis/client's own command timeout covers only the wait to be sent.
   */
  deadlineMs?: number;
}

/**
 * Every backend failure reaches the engine as STORE_UNAVAILABLE: callers branch on the code (locks
 * fail closed), and the user gets a hint instead of a driver's error text.
 */
export const storeUnavailable = (error: unknown, { what, hint }: FailureHint): HecklerError => {
  if (error instanceof HecklerError) return error;
  const reason = error instanceof Error ? error.message || error.constructor.name : String(error);
  return new HecklerError('STORE_UNAVAILABLE', `${what} failed: ${reason}`, { hint, cause: error });
};

export const guard = async <R>(failure: FailureHint, run: () => Promise<R>): Promise<R> => {
  try {
    return await (failure.deadlineMs === undefined ? run() : withDeadline(run(), failure.deadlineMs));
  } catch (error) {
    throw storeUnavailable(error, failure);
  }
};

/**
 * The operation's promise, or a rejection after `ms`. The operation itself is not cancelled: a
 * write may still land when the store answers late (a lock taken that way expires by its ttl).
 */
export const withDeadline = <T>(promise: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined); // a late failure after the deadline is not news
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};
