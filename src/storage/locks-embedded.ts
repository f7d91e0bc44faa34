import { randomUUID } from 'node:crypto';
import type { HeldLock, LockInfo, LockRequest, Locks, Store } from '../engine/ports/store.js';
import { checkTtl } from './locks-redis.js';

export interface LockRecord {
  token: string;
  owner: string;
  reason: string;
  since: number;
  expiresAt: number;
}

export interface ClaimRecord {
  expiresAt: number;
}

export interface EmbeddedLocksOptions {
  /** One namespace of lock records, keyed by lock key. */
  locks: Store<LockRecord>;
  /** One namespace of claimOnce records. */
  claims: Store<ClaimRecord>;
  now?: () => number;
}

/**
 * Expiry is decided by `now()` against `expiresAt`; the store's own TTL (which runs on the real
 * clock) only collects old records, so it is given this much slack to never disagree with a test
 * clock that runs a little behind.
 */
const collectAfterMs = 60_000;

/**
 * Locks for the embedded store. Atomic only within this process: every check-and-set runs in one
 * promise chain, which is enough because the embedded store is one process only.
 */
export const createEmbeddedLocks = ({ locks, claims, now = Date.now }: EmbeddedLocksOptions): Locks => {
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <R>(section: () => Promise<R>): Promise<R> => {
    const result = tail.then(section);
    tail = result.catch(() => undefined);
    return result;
  };

  const live = async (key: string): Promise<LockRecord | undefined> => {
    const record = await locks.get(key);
    return record && record.expiresAt > now() ? record : undefined;
  };

  const ifStillOurs = (key: string, token: string, act: (record: LockRecord) => Promise<void>) =>
    exclusive(async () => {
      const record = await live(key);
      if (record?.token !== token) return false;
      await act(record);
      return true;
    });

  const held = (key: string, record: LockRecord): HeldLock => {
    const lock: HeldLock = {
      key,
      ...record,
      renew: async (ttlMs) => {
        checkTtl(ttlMs);
        return ifStillOurs(key, record.token, async (current) => {
          const expiresAt = now() + ttlMs;
          await locks.set(key, { ...current, expiresAt }, ttlMs + collectAfterMs);
          lock.expiresAt = expiresAt;
        });
      },
      release: () => ifStillOurs(key, record.token, () => locks.delete(key).then(() => undefined)),
    };
    return lock;
  };

  const acquire = async (key: string, { owner, reason, ttlMs }: LockRequest) => {
    checkTtl(ttlMs);
    return exclusive(async () => {
      const holder = await live(key);
      if (holder) return { ok: false as const, holder: toInfo(key, holder) };
      const since = now();
      const record: LockRecord = { token: randomUUID(), owner, reason, since, expiresAt: since + ttlMs };
      await locks.set(key, record, ttlMs + collectAfterMs);
      return { ok: true as const, lock: held(key, record) };
    });
  };

  const list = async (): Promise<LockInfo[]> => {
    const found: LockInfo[] = [];
    for await (const [key, record] of locks.entries()) {
      if (record.expiresAt > now()) found.push(toInfo(key, record));
    }
    return found.sort((a, b) => a.key.localeCompare(b.key));
  };

  return {
    acquire,
    list,
    inspect: async (key) => {
      const record = await live(key);
      return record && toInfo(key, record);
    },
    forceRelease: (key) =>
      exclusive(async () => {
        const record = await live(key);
        await locks.delete(key);
        return record !== undefined;
      }),
    claimOnce: async (key, ttlMs) => {
      checkTtl(ttlMs);
      return exclusive(async () => {
        const claim = await claims.get(key);
        if (claim && claim.expiresAt > now()) return false;
        await claims.set(key, { expiresAt: now() + ttlMs }, ttlMs + collectAfterMs);
        return true;
      });
    },
  };
};

const toInfo = (key: string, { owner, reason, since, expiresAt }: LockRecord): LockInfo => ({
  key,
  owner,
  reason,
  since,
  expiresAt,
});
