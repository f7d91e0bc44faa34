import { HecklerError } from '../errors.js';
import type { NodeLock } from '../locks/node-locks.js';
import type { Chat, ChatFile, Clock, Logger, Message, MessageRef, Store } from '../ports/index.js';
import { escapeText } from '../text/mrkdwn.js';
import {
  buildDigest,
  type Digest,
  type DigestResult,
  type DigestSnapshot,
  type OwnerDigest,
} from './digest.js';
import type { PermadiffIgnore } from './ignored.js';
import type { PermadiffService } from './service.js';
import { staleLocks, type WaitingReview, waitingLong } from './stale.js';

/** A digest as chat shows it: the message, and the file with everything when it did not all fit. */
export interface PresentedDigest {
  message: Message;
  file?: ChatFile;
}

/** Views live with the commands; the engine only posts what they make. */
export interface DigestPresenter {
  digest(digest: Digest): PresentedDigest;
  owner(owner: OwnerDigest, digest: Digest): PresentedDigest;
}

export interface DigestServiceDeps {
  permadiffs: PermadiffService;
  /** The last digest's snapshot (key `last`). */
  snapshots: Store<DigestSnapshot>;
  chat: Chat;
  channel: string;
  /** Active ignores, in the order they apply. */
  ignores(): Promise<PermadiffIgnore[]>;
  nodeLocks(): Promise<NodeLock[]>;
  /** Whether apply N is still running (its record says so, whichever bot runs it). */
  applyRunning(id: number): Promise<boolean>;
  /** Commits waiting for approval; absent without reviews. */
  pending?(): Promise<WaitingReview[]>;
  /** `permadiffs.notifyOwners`: who gets unowned groups. */
  owners?: { admins: readonly string[] };
  present: DigestPresenter;
  clock: Clock;
  logger: Logger;
}

export interface DigestOutcome {
  digest: Digest;
  /** The posted message; absent for a preview. */
  ref?: MessageRef;
  /** Chat users sent a private message. */
  sentTo: string[];
}

export interface DigestService {
  /** Posts the digest (and the owners' messages) and stores its snapshot; LOCK_HELD while one is being posted. */
  post(by: string): Promise<DigestOutcome>;
  /** The digest as it would be now, posted nowhere and stored nowhere. */
  preview(): Promise<{ digest: Digest; presented: PresentedDigest }>;
  /** The schedule's tick. */
  scheduled(): Promise<void>;
}

const LAST = 'last';
/** A snapshot older than this says nothing useful about "since the last digest". */
const SNAPSHOT_TTL_MS = 90 * 86_400_000;

export const createDigestService = (deps: DigestServiceDeps): DigestService => {
  let posting: { since: number; by: string } | undefined;

  const compute = async (): Promise<DigestResult> => {
    const now = deps.clock.now();
    const [state, previous, ignores, locks, pending] = await Promise.all([
      deps.permadiffs.current(),
      deps.snapshots.get(LAST),
      deps.ignores(),
      deps.nodeLocks(),
      deps.pending?.() ?? Promise.resolve([]),
    ]);
    const running = new Map<number, boolean>();
    for (const lock of locks) {
      const id = /^heckler:apply#(\d+)$/.exec(lock.owner)?.[1];
      if (id !== undefined && !running.has(Number(id)))
        running.set(Number(id), await deps.applyRunning(Number(id)));
    }
    return buildDigest({
      now,
      minRuns: state.minRuns,
      groups: state.groups,
      ...(state.lastScan ? { lastScan: state.lastScan } : {}),
      ...(previous ? { previous } : {}),
      ignores,
      staleLocks: staleLocks(locks, now, (id) => running.get(id) ?? false),
      waiting: waitingLong(pending, now),
      ...(deps.owners ? { owners: deps.owners } : {}),
    });
  };

  /** Posts one presented digest where `post` says; its file goes in the message's thread. */
  const show = async (presented: PresentedDigest, post: () => Promise<MessageRef>): Promise<MessageRef> => {
    const ref = await post();
    if (presented.file) {
      await deps.chat.upload(ref.channel, presented.file, ref).catch(async (error: unknown) => {
        deps.logger.warn({ err: error }, 'could not attach the permadiff digest file');
        const note = `The attached file could not be uploaded (${escapeText(String(error)).slice(0, 300)}): \`/heckler permadiffs\` lists every group.`;
        await deps.chat.reply(ref, { text: note, blocks: [{ kind: 'context', text: note }] });
      });
    }
    return ref;
  };

  const service: DigestService = {
    async post(by) {
      if (posting)
        throw new HecklerError(
          'LOCK_HELD',
          `a permadiff digest is being posted already (by ${escapeText(posting.by)})`,
          { hint: 'it appears in a moment; nothing else was posted' },
        );
      posting = { since: deps.clock.now(), by };
      try {
        const { digest, owners, snapshot } = await compute();
        const presented = deps.present.digest(digest);
        const ref = await show(presented, () => deps.chat.post(deps.channel, presented.message));
        const sentTo: string[] = [];
        const sent = { ...snapshot.sent };
        for (const owner of owners) {
          const presented = deps.present.owner(owner, digest);
          try {
            await show(presented, () => deps.chat.direct(owner.user, presented.message));
            sentTo.push(owner.user);
          } catch (error) {
            // Not recorded as sent: the next digest tries this person again.
            deps.logger.warn({ err: error, user: owner.user }, 'could not send a permadiff owner message');
            const before = (await deps.snapshots.get(LAST))?.sent[owner.user];
            if (before) sent[owner.user] = before;
            else delete sent[owner.user];
          }
        }
        await deps.snapshots.set(LAST, { ...snapshot, sent }, SNAPSHOT_TTL_MS);
        deps.logger.info(
          { by, standing: digest.standing.length, changed: digest.changed, owners: sentTo.length },
          'permadiff digest posted',
        );
        return { digest, ref, sentTo };
      } finally {
        posting = undefined;
      }
    },
    async preview() {
      const { digest } = await compute();
      return { digest, presented: deps.present.digest(digest) };
    },
    async scheduled() {
      if (posting) {
        deps.logger.warn(posting, 'permadiff digest skipped: one is being posted');
        return;
      }
      await service.post('schedule');
    },
  };
  return service;
};
