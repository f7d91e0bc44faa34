import type { ReviewRecord } from '../review/records.js';
import type { ReviewService } from '../review/service.js';
import type { BuildGate } from './service.js';

/**
 * The review service with the build gate told of every review it makes (a noop, a poll of new
 * commits, a re-noop of stale ones) and every decision; without a gate, the service as it is.
 */
export const gatedReviews = (reviews: ReviewService, gate: BuildGate | undefined): ReviewService => {
  if (!gate) return reviews;
  const told = (records: ReviewRecord[]) => {
    for (const record of records) gate.reviewed(record);
    return records;
  };
  return {
    ...reviews,
    review: async (sha, options) => {
      const record = await reviews.review(sha, options);
      gate.reviewed(record);
      return record;
    },
    decide: async (request) => {
      const decided = await reviews.decide(request);
      gate.decided(decided.record);
      return decided;
    },
    refreshStale: async () => told(await reviews.refreshStale()),
    pollNewCommits: async (backfill) => told(await reviews.pollNewCommits(backfill)),
  };
};
