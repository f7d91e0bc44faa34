import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeLockKey } from '../locks/node-locks.js';
import type { HeldLock, Locks, Logger } from '../ports/index.js';

/**
 * Every code sync plus Puppet run on a node holds `run:<node>` in the shared store, so two bots on
 * one Redis never move a node's checkout under each other (a noop re-checking out a node while
 * another bot's apply compiles it would apply unapproved code). An apply's runs take it too, one
 * run at a time, inside the apply's node lock: the node lock says who may apply, the run lock
 * that one run at a time touches the checkout, and no one holds the run lock while waiting for a
 * node lock, so the two cannot deadlock.
 */
export interface RunLockOptions {
  locks: Locks;
  /** Who holds the run locks this bot takes (default `heckler:bot-<random>`, one per process). */
  owner?: string;
  /** A dead bot's run lock is free after this long (default 30 s); renewed every `renewMs` (10 s). */
  ttlMs?: number;
  renewMs?: number;
  /** How long a run waits for another bot's run on the node before it fails (default 10 min). */
  waitMs?: number;
  /** How often a waiting run asks again (default 250 ms). */
  pollMs?: number;
}

export const runLockKey = (node: string) => `run:${node}`;

const APPLY_OWNER = /^heckler:apply#(\d+)$/;

export type RunLockResult<T> = { ok: true; value: T } | { ok: false; busy: string };

export const createRunLock = (options: RunLockOptions, logger: Logger) => {
  const {
    locks,
    owner = `heckler:bot-${randomUUID().slice(0, 8)}`,
    ttlMs = 30_000,
    renewMs = 10_000,
    waitMs = 600_000,
    pollMs = 250,
  } = options;

  /** In words, for the node's run: "apply #7" when an apply holds the node, else the run lock's reason. */
  const whoIsBusy = async (node: string, reason: string): Promise<string> => {
    const nodeLock = await locks.inspect(nodeLockKey(node)).catch(() => undefined);
    const apply = nodeLock && APPLY_OWNER.exec(nodeLock.owner);
    return apply && reason.startsWith('apply') ? `apply #${apply[1]}` : reason;
  };

  const take = async (node: string, reason: string): Promise<HeldLock | { busy: string }> => {
    for (let waited = 0; ; waited += pollMs) {
      const taken = await locks.acquire(runLockKey(node), { owner, reason, ttlMs });
      if (taken.ok) return taken.lock;
      if (waited >= waitMs) return { busy: await whoIsBusy(node, taken.holder.reason) };
      if (waited === 0)
        logger.info(
          { node, holder: taken.holder.owner, reason: taken.holder.reason },
          'waiting for another bot’s run on the node',
        );
      await sleep(pollMs);
    }
  };

  /** Runs `work` holding the node's run lock, renewed while it runs; `busy` when another bot kept it past `waitMs`. */
  return async <T>(node: string, reason: string, work: () => Promise<T>): Promise<RunLockResult<T>> => {
    const held = await take(node, reason);
    if ('busy' in held) return { ok: false, busy: held.busy };
    const renew = setInterval(() => {
      held.renew(ttlMs).then(
        (still) => still || logger.warn({ node }, 'lost the run lock of a node while Puppet ran'),
        (error: unknown) => logger.warn({ err: error, node }, 'could not renew the run lock of a node'),
      );
    }, renewMs);
    renew.unref();
    try {
      return { ok: true, value: await work() };
    } finally {
      clearInterval(renew);
      await held.release().catch((error: unknown) => {
        logger.warn({ err: error, node }, 'could not release the run lock of a node; it expires by itself');
      });
    }
  };
};
