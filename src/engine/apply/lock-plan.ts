import { HecklerError, isHecklerError } from '../errors.js';
import { describeHolder, type NodeLock, type NodeLocks } from '../locks/node-locks.js';
import type { Clock, HeldLock } from '../ports/index.js';
import { escapeText, mention } from '../text/mrkdwn.js';
import type { ApplyRecord, SkippedNode } from './records.js';
import type { ApplySettings } from './settings.js';

/** Holder of an apply's node locks: `heckler:apply#7` (`/heckler locks` shows it as is). */
export const APPLY_OWNER_PREFIX = 'heckler:apply#';
export const applyOwner = (id: number) => `${APPLY_OWNER_PREFIX}${id}`;

/**
 * Takes the locks of a plan's nodes at confirm time (DESIGN.md §3.7). A node held by another
 * apply refuses the whole apply (two rollouts interleaving on one node is never wanted); nodes
 * a person locked are skipped and reported, or refuse it, per `apply.lockedNodes`. A lock store
 * that cannot be reached fails closed: nothing is locked, nothing is applied.
 */
export const lockPlanNodes = async (
  deps: { nodeLocks: NodeLocks; clock: Clock; settings: Pick<ApplySettings, 'lockTtl' | 'lockedNodes'> },
  record: ApplyRecord,
  user: string,
): Promise<{ locked: { node: string; lock: HeldLock }[]; skipped: SkippedNode[] }> => {
  const { clock, settings } = deps;
  let got: Awaited<ReturnType<NodeLocks['lockEach']>>;
  try {
    got = await deps.nodeLocks.lockEach(
      record.nodes.map((node) => node.node),
      {
        owner: applyOwner(record.id),
        // Mrkdwn: a lock the bot holds has a reason the bot wrote (see lockReason).
        reason: `apply ${escapeText(record.revision)} by ${mention(user)}`,
        ttlMs: settings.lockTtl,
      },
    );
  } catch (error) {
    if (!isHecklerError(error, 'STORE_UNAVAILABLE')) throw error;
    throw new HecklerError(
      'STORE_UNAVAILABLE',
      `could not lock the nodes, so nothing was applied: ${error.message}`,
      {
        hint: `${(error.hint ?? 'check the lock store').replace(/\.$/, '')}; then confirm plan #${record.id} again`,
        cause: error,
      },
    );
  }
  const releaseAll = () => Promise.all(got.locked.map(({ lock }) => lock.release().catch(() => false)));
  const lines = (locks: NodeLock[]) =>
    locks.map((lock) => `${escapeText(lock.node)}: ${describeHolder(lock, clock)}`).join('\n');
  const byApplies = got.refused.filter((lock) => lock.owner.startsWith(APPLY_OWNER_PREFIX));
  const manual = got.refused.filter((lock) => !lock.owner.startsWith(APPLY_OWNER_PREFIX));
  if (byApplies.length > 0) {
    await releaseAll();
    const others = [...new Set(byApplies.map((lock) => lock.owner.slice(APPLY_OWNER_PREFIX.length)))];
    throw new HecklerError(
      'LOCK_HELD',
      `plan #${record.id} overlaps apply ${others.map((id) => `#${id}`).join(', ')}, which holds:\n${lines(byApplies)}`,
      {
        hint: `wait for it to finish (or \`/heckler cancel ${others[0]}\`), then confirm #${record.id} again; nothing was locked`,
      },
    );
  }
  const policy = settings.lockedNodes;
  const tooMany = policy === 'abort' ? manual.length > 0 : policy === 'skip' ? false : manual.length > policy;
  if (tooMany || got.locked.length === 0) {
    await releaseAll();
    const why =
      got.locked.length === 0
        ? 'every node of the plan is locked'
        : `${manual.length} nodes are locked (apply.lockedNodes: ${policy})`;
    throw new HecklerError('LOCK_HELD', `plan #${record.id} was not started: ${why}:\n${lines(manual)}`, {
      hint: 'ask the holders to unlock, or wait for the locks to expire, then confirm again; nothing was applied',
    });
  }
  const skipped = manual.map(
    (lock): SkippedNode => ({ node: lock.node, why: 'locked', detail: describeHolder(lock, clock) }),
  );
  return { locked: got.locked, skipped };
};
