import { HecklerError } from '../engine/errors.js';

/** What a failing backend tells the user to check, e.g. the Redis URL or the data directory. */
export interface FailureHint {
  what: string;
  hint: string;
}

/**
 * Every backend failure reaches the engine as STORE_UNAVAILABLE: callers branch on the code (locks
 * fail closed), and the user gets a hint instead of a driver's error text.
 */
export const storeUnavailable = (error: unknown, { what, hint }: FailureHint): HecklerError => {
  if (error instanceof HecklerError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new HecklerError('STORE_UNAVAILABLE', `${what} failed: ${reason}`, { hint, cause: error });
};

export const guard = async <R>(failure: FailureHint, run: () => Promise<R>): Promise<R> => {
  try {
    return await run();
  } catch (error) {
    throw storeUnavailable(error, failure);
  }
};
