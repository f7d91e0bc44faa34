import type { Keyv } from 'keyv';
import type { Store } from '../engine/ports/store.js';

/** How a record's expiry is written: a new lifetime, the one it has, or none. */
export type TtlChoice = number | 'keep' | undefined;

/**
 * The one thing each backend must do atomically for `update`: compare-and-set on a record's
 * serialized value (keyv's own serialization, so `get` and `entries` read what `update` wrote).
 */
export interface RawSwap {
  /** The serialized value stored at `id`, or undefined. */
  read(id: string): Promise<string | undefined>;
  /** Stores `next` at `id` when its serialized value is still `expected` (undefined: absent); false when it changed. */
  swap(id: string, expected: string | undefined, next: string, ttl: TtlChoice): Promise<boolean>;
  /** A native atomic increment, when the backend has one; otherwise `update` does it. */
  increment?(id: string): Promise<number>;
}

/** Writers that keep beating us to one record this many times in a row: give up rather than spin. */
export const MAX_ATTEMPTS = 200;

export interface AtomicOptions {
  /** Every backend call goes through it (deadline, STORE_UNAVAILABLE with a hint). */
  run: <R>(operation: () => Promise<R>) => Promise<R>;
  /** The error for a record that kept changing under us. */
  contended: (id: string) => Error;
}

/** `update` and `increment` of one namespace, over keyv's serialization and a backend's swap. */
export const atomicOps = <T>(
  keyv: Keyv<T>,
  raw: RawSwap,
  { run, contended }: AtomicOptions,
): Pick<Store<T>, 'update' | 'increment'> => {
  const update: Store<T>['update'] = async (id, change, ttlMs) => {
    if (ttlMs !== undefined && (!Number.isInteger(ttlMs) || ttlMs <= 0))
      throw new RangeError(`a record ttl must be a positive integer, got ${ttlMs}`);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      // A value that does not parse (written by something else) fails like an unreachable store.
      const { before, data } = await run(async () => {
        const text = await raw.read(id);
        return { before: text, data: text === undefined ? undefined : await keyv.deserializeData(text) };
      });
      // The same test keyv's `get` makes: an expired value the backend has not dropped yet is absent.
      const live = data !== undefined && !(typeof data.expires === 'number' && data.expires <= Date.now());
      const current = live ? (data.value as T) : undefined;
      const next = change(current);
      if (next === undefined) return current;
      const expires = ttlMs !== undefined ? Date.now() + ttlMs : live ? data.expires : undefined;
      const serialized = await keyv.serializeData({ value: next, expires });
      if (typeof serialized !== 'string') throw new TypeError('keyv did not serialize to a string');
      const ttl: TtlChoice = ttlMs ?? (live && typeof data.expires === 'number' ? 'keep' : undefined);
      if (await run(() => raw.swap(id, before, serialized, ttl))) {
        const stored = await keyv.deserializeData(serialized);
        return stored?.value as T;
      }
    }
    throw contended(id);
  };

  const increment = async (id: string): Promise<number> => {
    if (raw.increment) return run(() => (raw.increment as (id: string) => Promise<number>)(id));
    const counted = await update(id, (current) => {
      if (current !== undefined && typeof current !== 'number')
        throw new TypeError(`${id} holds a ${typeof current}, not a counter`);
      return (((current as number | undefined) ?? 0) + 1) as T;
    });
    return counted as number;
  };

  return { update, increment };
};
