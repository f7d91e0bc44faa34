import { decidersOf, type ReviewRecord, reviewStatus, standing, unreviewedNodes } from '../review/records.js';
import type { ReviewFacts } from './plan.js';

/** What the plan needs of a commit's review: its status, the fleet it was computed on, who decides. */
export const reviewFacts = (record: ReviewRecord): ReviewFacts => {
  const decision = standing(record);
  return {
    status: reviewStatus(record),
    fleetHash: record.fleetHash,
    // Only people who could approve it alone: owners of every part, never its writers.
    owners: decidersOf(record, { admins: [], approvers: [] }).owners,
    ...(decision ? { decidedBy: decision.user } : {}),
    ...(decision?.reason ? { reason: decision.reason } : {}),
    unreviewed: Object.fromEntries(unreviewedNodes(record)),
  };
};
