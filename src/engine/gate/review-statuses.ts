import type { MessageRef } from '../ports/chat.js';
import type { CodeHost } from '../ports/code-host.js';
import type { Logger } from '../ports/logger.js';
import type { ReviewRecord } from '../review/records.js';
import type { ReviewService } from '../review/service.js';
import { type NameOf, reviewCommitStatus } from './review-status.js';

export interface ReviewStatusOptions {
  host: CodeHost;
  /** The Puppet repository's `owner/name` on the host. */
  repo: string;
  nameOf: NameOf;
  /** The review message's link (Slack's permalink): the status's `target_url`. */
  permalink?: (ref: MessageRef) => Promise<string | undefined>;
  logger: Logger;
}

/** Statuses remembered per commit, so an unchanged review is not posted again. */
const REMEMBERED = 2_000;

/**
 * `heckler/review` on each reviewed commit of the Puppet repository, linked to its message. Posted
 * in the background and in order (a status never lands after a newer one); one that cannot be
 * posted is logged and dropped: GitHub being down never fails a review.
 */
export const createReviewStatuses = (options: ReviewStatusOptions) => {
  const { logger } = options;
  const sent = new Map<string, string>();
  let chain: Promise<void> = Promise.resolve();

  const post = async (record: ReviewRecord) => {
    const status = reviewCommitStatus(record, options.nameOf);
    const link = record.message
      ? await options.permalink?.(record.message).catch((error: unknown) => {
          logger.warn({ err: error, sha: record.sha }, 'could not link the review status to its message');
          return undefined;
        })
      : undefined;
    const full = link ? { ...status, targetUrl: link } : status;
    const key = JSON.stringify(full);
    if (sent.get(record.sha) === key) return;
    try {
      await options.host.setStatus(options.repo, record.sha, full);
      sent.delete(record.sha);
      sent.set(record.sha, key);
      if (sent.size > REMEMBERED) sent.delete(sent.keys().next().value ?? '');
    } catch (error) {
      logger.warn({ err: error, sha: record.sha }, 'could not post the heckler/review commit status');
    }
  };

  return {
    /** Takes the record as it is now and posts its status after those asked for before. */
    post: (record: ReviewRecord) => {
      const snapshot = structuredClone(record);
      chain = chain.then(() => post(snapshot));
    },
    settled: async () => {
      let seen: Promise<void> | undefined;
      while (seen !== chain) {
        seen = chain;
        await chain;
      }
    },
  };
};

export type ReviewStatuses = ReturnType<typeof createReviewStatuses>;

/**
 * Runs `work` one at a time: a call while one runs waits for it and then runs once for everyone
 * who asked meanwhile (a webhook and the scheduled poll arriving together fetch and review once).
 */
const coalesced = <T>(work: () => Promise<T>): (() => Promise<T>) => {
  let running: Promise<T> | undefined;
  let next: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const started = work().finally(() => {
      if (running === started) running = undefined;
    });
    running = started;
    return started;
  };
  return () => {
    if (!running) return start();
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return start();
      });
    return next;
  };
};

/**
 * The review service with every review and decision shown on the commit (when `statuses` is
 * given), and polls of the branch coalesced: a push webhook starts one while the schedule may too.
 */
export const withReviewStatuses = (
  reviews: ReviewService,
  statuses: ReviewStatuses | undefined,
): ReviewService => {
  const told = (records: ReviewRecord[]) => {
    for (const record of records) statuses?.post(record);
    return records;
  };
  const polls = new Map<number, () => Promise<ReviewRecord[]>>();
  return {
    ...reviews,
    review: async (sha, options) => {
      const record = await reviews.review(sha, options);
      statuses?.post(record);
      return record;
    },
    decide: async (request) => {
      const decided = await reviews.decide(request);
      statuses?.post(decided.record);
      return decided;
    },
    refreshStale: async () => told(await reviews.refreshStale()),
    pollNewCommits: (backfill) => {
      let poll = polls.get(backfill);
      if (!poll) {
        poll = coalesced(async () => told(await reviews.pollNewCommits(backfill)));
        polls.set(backfill, poll);
      }
      return poll();
    },
  };
};
