import type { NodeLock } from '../locks/node-locks.js';

/** A day: a person's lock held longer, or a commit waiting longer for approval, is news in a digest. */
export const DAY_MS = 86_400_000;

/** Holder of an apply's node locks (`heckler:apply#7`), as the apply service names it. */
const APPLY_LOCK = /^heckler:apply#(\d+)$/;

/**
 * A node lock the digest points out. A lock is stale when the apply holding it is no longer
 * running (the bot that ran it died before releasing it; its lock outlives it until its TTL), or
 * when a person has held it for more than a day (locks are meant for a maintenance, not a week).
 */
export interface StaleLock {
  lock: NodeLock;
  why: { kind: 'apply not running'; apply: number } | { kind: 'held long'; forMs: number };
}

/**
 * The stale locks among `locks`, oldest first. `applyRunning` says whether apply N is still
 * running (its record says so); an apply lock whose apply runs is never stale, however long.
 */
export const staleLocks = (
  locks: readonly NodeLock[],
  now: number,
  applyRunning: (id: number) => boolean,
  heldOverMs = DAY_MS,
): StaleLock[] =>
  locks
    .flatMap((lock): StaleLock[] => {
      const apply = APPLY_LOCK.exec(lock.owner)?.[1];
      if (apply !== undefined)
        return applyRunning(Number(apply))
          ? []
          : [{ lock, why: { kind: 'apply not running', apply: Number(apply) } }];
      const forMs = now - lock.since;
      return forMs > heldOverMs ? [{ lock, why: { kind: 'held long', forMs } }] : [];
    })
    .sort(
      (a, b) =>
        a.lock.since - b.lock.since || a.lock.node.localeCompare(b.lock.node, 'en', { numeric: true }),
    );

/** A commit waiting for approval, as the digest lists it. */
export interface WaitingReview {
  sha: string;
  shortSha: string;
  /** Literal text (views escape it). */
  subject: string;
  committedAt: number;
}

/** Commits pending for more than a day (by commit date), oldest first. */
export const waitingLong = (
  pending: readonly WaitingReview[],
  now: number,
  overMs = DAY_MS,
): WaitingReview[] =>
  pending
    .filter((review) => now - review.committedAt > overMs)
    .map(({ sha, shortSha, subject, committedAt }) => ({ sha, shortSha, subject, committedAt }))
    .sort((a, b) => a.committedAt - b.committedAt);
