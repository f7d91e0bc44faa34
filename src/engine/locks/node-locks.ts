import { HecklerError } from '../errors.js';
import type { Clock, HeldLock, LockInfo, Locks } from '../ports/index.js';
import { formatDuration } from '../text/duration.js';
import { escapeText, mention } from '../text/mrkdwn.js';

const PREFIX = 'node:';
export const nodeLockKey = (node: string) => `${PREFIX}${node}`;

export interface NodeLock extends LockInfo {
  node: string;
}

const asNodeLock = (info: LockInfo): NodeLock => ({ ...info, node: info.key.slice(PREFIX.length) });

/**
 * "locked by <@U1> (kernel upgrade), 1h left": who to ask, and why. Mrkdwn, like everything here
 * that describes a lock: the reason a person typed is escaped.
 */
export const describeHolder = (lock: LockInfo, clock: Clock): string => {
  const left = lock.expiresAt - clock.now();
  return `locked by ${holderName(lock.owner)} (${lockReason(lock)}), ${left > 0 ? `${formatDuration(left)} left` : 'expiring'}`;
};

/** Chat users are mentioned; the bot's own locks (applies, `heckler:…`) are named as such. */
export const holderName = (owner: string) => mention(owner);

const BOT_OWNER_PREFIX = 'heckler:';

/**
 * A lock's reason as mrkdwn. People type theirs (`/heckler lock web1 …`): escaped. The bot's own
 * locks, whose owner (`heckler:apply#7`) no chat user can be, carry a reason the bot wrote as
 * mrkdwn, mentioning who confirmed the apply.
 */
export const lockReason = (lock: Pick<LockInfo, 'owner' | 'reason'>): string =>
  lock.owner.startsWith(BOT_OWNER_PREFIX) ? lock.reason : escapeText(lock.reason);

/** What `lockEach` got: the locks taken, and the holders of the nodes it could not lock. */
export interface LockEachResult {
  locked: { node: string; lock: HeldLock }[];
  refused: NodeLock[];
}

export interface NodeLocks {
  /**
   * Takes every node's lock or none: when one is held, the ones already taken are released and
   * LOCK_HELD names each holder.
   */
  lockAll(
    nodes: readonly string[],
    request: { owner: string; reason: string; ttlMs: number },
  ): Promise<HeldLock[]>;
  /**
   * Takes each node's lock that is free, reporting the held ones (the caller decides whether to
   * go on without them). When the lock store fails part-way, the locks taken are released and
   * the error is thrown: nothing stays locked by a request that failed.
   */
  lockEach(
    nodes: readonly string[],
    request: { owner: string; reason: string; ttlMs: number },
  ): Promise<LockEachResult>;
  /** Releases locks `owner` holds; a lock held by someone else needs `force`. */
  unlock(
    nodes: readonly string[],
    owner: string,
    force: boolean,
  ): Promise<{ released: string[]; notLocked: string[] }>;
  list(): Promise<NodeLock[]>;
  holder(node: string): Promise<NodeLock | undefined>;
}

export const createNodeLocks = (locks: Locks, clock: Clock): NodeLocks => ({
  async lockAll(nodes, request) {
    const taken: HeldLock[] = [];
    const refused: string[] = [];
    for (const node of nodes) {
      const result = await locks.acquire(nodeLockKey(node), request);
      if (result.ok) taken.push(result.lock);
      else refused.push(`${escapeText(node)}: ${describeHolder(result.holder, clock)}`);
    }
    if (refused.length === 0) return taken;
    await Promise.all(taken.map((lock) => lock.release()));
    throw new HecklerError(
      'LOCK_HELD',
      `${refused.length === 1 ? 'a node is' : `${refused.length} nodes are`} locked:\n${refused.join('\n')}`,
      {
        hint: 'ask the holder, wait for the lock to expire, or (admins) `/heckler unlock NODES --force`; nothing was locked',
      },
    );
  },
  async lockEach(nodes, request) {
    const result: LockEachResult = { locked: [], refused: [] };
    try {
      for (const node of nodes) {
        const taken = await locks.acquire(nodeLockKey(node), request);
        if (taken.ok) result.locked.push({ node, lock: taken.lock });
        else result.refused.push(asNodeLock(taken.holder));
      }
    } catch (error) {
      await Promise.all(result.locked.map(({ lock }) => lock.release().catch(() => false)));
      throw error;
    }
    return result;
  },
  async unlock(nodes, owner, force) {
    const held = await Promise.all(
      nodes.map(async (node) => ({ node, info: await locks.inspect(nodeLockKey(node)) })),
    );
    const others = held.filter(({ info }) => info && info.owner !== owner);
    if (others.length > 0 && !force) {
      const lines = others.map(
        ({ node, info }) => `${escapeText(node)}: ${info ? describeHolder(info, clock) : ''}`,
      );
      throw new HecklerError('LOCK_HELD', `not your lock:\n${lines.join('\n')}`, {
        hint: 'ask the holder to unlock it, or an admin can pass --force; nothing was unlocked',
      });
    }
    const released: string[] = [];
    const notLocked: string[] = [];
    for (const { node, info } of held) {
      if (!info) notLocked.push(node);
      else if (await locks.forceRelease(nodeLockKey(node))) released.push(node);
      else notLocked.push(node);
    }
    return { released, notLocked };
  },
  async list() {
    return (await locks.list())
      .filter((info) => info.key.startsWith(PREFIX))
      .map(asNodeLock)
      .sort((a, b) => a.node.localeCompare(b.node, 'en', { numeric: true }));
  },
  async holder(node) {
    const info = await locks.inspect(nodeLockKey(node));
    return info ? asNodeLock(info) : undefined;
  },
});
