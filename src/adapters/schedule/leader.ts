import { hostname } from 'node:os';
import type { Clock } from '../../engine/ports/clock.js';
import type { Logger } from '../../engine/ports/logger.js';
import type { Scheduler } from '../../engine/ports/scheduler.js';
import type { HeldLock, Locks } from '../../engine/ports/store.js';

/** The lock key of the lease: `<prefix>:lock:leader:scheduler` in Redis. Not a node lock, so `locks` never lists it. */
export const LEADER_LOCK_KEY = 'leader:scheduler';

export interface LeaderSchedulerOptions {
  locks: Locks;
  /** How long the lease lasts without a renewal; it is renewed (or sought) every third of it. */
  ttlMs: number;
  clock: Clock;
  logger: Logger;
  /** Shown as the lease's holder; defaults to host:pid. */
  owner?: string;
}

export interface LeaderScheduler extends Scheduler {
  /** True while this bot holds an unexpired lease: only then do ticks run their task. */
  leading(): boolean;
  /**
   * One lease step now: renew the lease we hold, or try to take it. The timer calls it every third
   * of the lease; tests call it to step without waiting.
   */
  campaign(): Promise<boolean>;
}

/**
 * Several bots may share one Redis; the schedules (commit polling, build polling, the janitor…)
 * must run on one of them only. Every bot registers every schedule with `inner`, but a tick runs
 * its task only while this bot holds the leader lease, a lock in the store taken with a random
 * token and renewed compare-and-renew. A bot that loses the lease, or cannot reach the store to
 * renew it, stops starting tasks at once (one already running finishes); a follower tries to take
 * the lease every renewal period. With the embedded store the one process always gets it.
 */
export const createLeaderScheduler = (inner: Scheduler, options: LeaderSchedulerOptions): LeaderScheduler => {
  const { locks, ttlMs, clock, logger } = options;
  const owner = options.owner ?? `${hostname()}:${process.pid}`;
  let lease: HeldLock | undefined;
  /**
   * Until when the lease is surely ours: counted from when the last take or renewal was *sent*, so
   * a renewal that hangs (a frozen Redis) cannot keep us leading past the lease's real expiry.
   */
  let validUntil = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<boolean> | undefined;
  let stopping: Promise<void> | undefined;

  const leading = () => lease !== undefined && clock.now() < validUntil;

  const lose = (why: string, error?: unknown) => {
    if (!lease) return;
    lease = undefined;
    validUntil = 0;
    logger.warn({ ...(error === undefined ? {} : { err: error }), why }, 'lost the scheduler lease');
  };

  const step = async (): Promise<boolean> => {
    if (stopped) return false;
    const sentAt = clock.now();
    if (lease) {
      // Expired while a renewal hung: someone else may have it now; the renewal below cannot tell us otherwise.
      if (sentAt >= validUntil) lose('the lease expired before it could be renewed');
      else {
        try {
          if (await lease.renew(ttlMs)) {
            validUntil = sentAt + ttlMs;
            return true;
          }
          lose('the lease is no longer ours (it expired and another bot took it)');
        } catch (error) {
          lose('the store could not be reached to renew the lease', error);
        }
        // Just lost: do not take it again in the same step, so a bot that lost it gives way for a period.
        return false;
      }
    }
    try {
      const taken = await locks.acquire(LEADER_LOCK_KEY, { owner, reason: 'runs the schedules', ttlMs });
      if (!taken.ok) return false;
      if (stopped) {
        await taken.lock.release().catch(() => false);
        return false;
      }
      lease = taken.lock;
      validUntil = sentAt + ttlMs;
      logger.info({ owner, ttlMs }, 'became the scheduler leader');
      return true;
    } catch (error) {
      logger.debug({ err: error }, 'could not reach the store to seek the scheduler lease');
      return false;
    }
  };

  // One step at a time: a slow store must not let two renewals (or a renewal and a take) overlap.
  const campaign = () => {
    inFlight ??= step().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const start = async () => {
    if (timer || stopped) return;
    timer = setInterval(() => void campaign(), Math.max(1, Math.floor(ttlMs / 3)));
    timer.unref();
    await campaign();
  };

  const gated = (name: string, task: () => Promise<void>) => async () => {
    if (!stopped && leading()) await task();
    else logger.debug({ job: name }, 'not the scheduler leader; tick skipped');
  };

  return {
    leading,
    campaign,
    every: async (name, intervalMs, task) => {
      await inner.every(name, intervalMs, gated(name, task));
      await start();
    },
    cron: async (name, schedule, task) => {
      await inner.cron(name, schedule, gated(name, task));
      await start();
    },
    // Shared by several owners (the fleet and the builds): the first stop does the work, later ones wait for it.
    stop: () => {
      stopping ??= (async () => {
        stopped = true;
        clearInterval(timer);
        await inner.stop();
        await inFlight?.catch(() => false);
        // After the running tasks have finished, so the next leader cannot start one alongside ours.
        const held = lease;
        lease = undefined;
        if (held) {
          await held.release().catch((error: unknown) => {
            logger.warn({ err: error }, 'could not release the scheduler lease; it expires by itself');
          });
          logger.info({}, 'released the scheduler lease');
        }
      })();
      return stopping;
    },
  };
};
