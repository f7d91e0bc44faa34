/**
 * Storage ports. `src/storage` implements them over keyv (Redis or the embedded file store);
 * the engine sees only these shapes.
 */

/** One record type in its own namespace. */
export interface Store<T> {
  get(id: string): Promise<T | undefined>;
  set(id: string, value: T, ttlMs?: number): Promise<void>;
  delete(id: string): Promise<boolean>;
  /** Every live record of this namespace, in no particular order. */
  entries(): AsyncIterable<[string, T]>;
  /**
   * Compare-and-set, atomic across every replica sharing the store: `change` gets the record as
   * stored now (undefined: none) and returns the record to store, or undefined to leave it as it
   * is (nothing is written). When another writer got in first, `change` runs again on the newer
   * record, so it must be pure: no I/O, no side effects but on its own locals (the last run is
   * the one that counts). It may throw to refuse; then nothing is written and the error goes to
   * the caller. Resolves to the record as stored afterwards, as `get` would read it. `ttlMs`
   * gives the record a new lifetime; without it the record keeps the expiry it had (none, for a
   * new one).
   */
  update(
    id: string,
    change: (current: T | undefined) => T | undefined,
    ttlMs?: number,
  ): Promise<T | undefined>;
  /**
   * Adds one to the number stored at `id` (absent: 0) and resolves to the new number; atomic
   * across replicas, so N calls anywhere give 1..N exactly once. The record must be a number.
   */
  increment(id: string): Promise<number>;
}

export interface LockInfo {
  key: string;
  owner: string;
  reason: string;
  /** Epoch milliseconds. */
  since: number;
  expiresAt: number;
}

/** A lock this process holds; only the token it was granted can renew or release it. */
export interface HeldLock extends LockInfo {
  token: string;
  /** Extend the expiry; false when the lock was lost (expired and taken, or force-released). */
  renew(ttlMs: number): Promise<boolean>;
  /** Release if still held by us; false when it was no longer ours. */
  release(): Promise<boolean>;
}

export interface LockRequest {
  owner: string;
  reason: string;
  ttlMs: number;
}

export interface Locks {
  /** Atomically take `key`, or return the current holder's info when it is taken. */
  acquire(
    key: string,
    request: LockRequest,
  ): Promise<{ ok: true; lock: HeldLock } | { ok: false; holder: LockInfo }>;
  inspect(key: string): Promise<LockInfo | undefined>;
  /** Remove a lock whoever holds it (admin unlock). Returns whether there was one. */
  forceRelease(key: string): Promise<boolean>;
  list(): Promise<LockInfo[]>;
  /**
   * True the first time `key` is claimed within `ttlMs`; false for every repeat. Used to drop
   * duplicated deliveries (Slack retries, double clicks).
   */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
}
