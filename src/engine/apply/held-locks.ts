import type { Logger } from '../ports/logger.js';
import type { HeldLock } from '../ports/store.js';

/** The node locks a running apply holds, renewed every third of their expiry until released. */
export interface HeldNodeLocks {
  /** Why the node's lock is no longer ours (released by force, expired, store unreachable), if it is not. */
  lost(node: string): string | undefined;
  /** Stops renewing and releases every lock still ours. */
  release(): Promise<void>;
  /** Stops renewing without releasing: a dying process leaves its locks to expire. */
  abandon(): void;
}

export const holdNodeLocks = (
  locked: readonly { node: string; lock: HeldLock }[],
  options: { ttlMs: number; logger: Logger },
): HeldNodeLocks => {
  const lost = new Map<string, string>();
  let renewing = false;
  const renewAll = async () => {
    if (renewing) return;
    renewing = true;
    try {
      for (const { node, lock } of locked) {
        if (lost.has(node)) continue;
        try {
          if (!(await lock.renew(options.ttlMs)))
            lost.set(node, 'its lock is no longer ours (released with unlock --force, or expired)');
        } catch (error) {
          // Fail closed: a lock we cannot renew may expire under us, so the node is not started.
          lost.set(node, 'the lock store could not be reached to renew its lock');
          options.logger.warn({ err: error, node }, 'could not renew a node lock');
        }
      }
    } finally {
      renewing = false;
    }
  };
  const timer = setInterval(() => void renewAll(), Math.max(100, Math.floor(options.ttlMs / 3)));
  timer.unref();
  return {
    lost: (node) => lost.get(node),
    async release() {
      clearInterval(timer);
      await Promise.all(
        locked.map(({ node, lock }) =>
          lock.release().catch((error: unknown) => {
            options.logger.warn({ err: error, node }, 'could not release a node lock; it expires by itself');
            return false;
          }),
        ),
      );
    },
    abandon: () => clearInterval(timer),
  };
};
