import { setTimeout as sleep } from 'node:timers/promises';
import { HecklerError } from './errors.js';
import type { Locks, Store } from './ports/index.js';

/**
 * The next number of a sequence (build #812, apply #4). keyv has no atomic increment, so the
 * counter is read and written under a lock; several bots on one Redis never hand out one number
 * twice.
 */
export const nextInSequence = async (options: {
  name: 'build' | 'apply';
  counter: Store<number>;
  locks: Locks;
}): Promise<number> => {
  const { name, counter, locks } = options;
  const lockKey = `${name}-id`;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const taken = await locks.acquire(lockKey, {
      owner: `${name}-records`,
      reason: `next ${name} id`,
      ttlMs: 10_000,
    });
    if (!taken.ok) {
      await sleep(10);
      continue;
    }
    try {
      const id = ((await counter.get('next')) ?? 0) + 1;
      await counter.set('next', id);
      return id;
    } finally {
      await taken.lock.release();
    }
  }
  throw new HecklerError(
    'LOCK_HELD',
    `could not get ${name === 'apply' ? 'an' : 'a'} ${name} number: the id counter stayed locked for 2 s`,
    {
      hint: `try again; if it persists, another bot process may be stuck holding the lock ${lockKey}`,
    },
  );
};
