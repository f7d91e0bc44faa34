import type { CommitStatus } from '../ports/code-host.js';
import { coveredNodes, type ReviewRecord, reviewStatus, standing } from '../review/records.js';

/** The commit status name of reviews, beside the builds' `heckler/build/<pipeline>`. */
export const REVIEW_STATUS_CONTEXT = 'heckler/review';

/**
 * A review as the code host shows it on the commit: pending while it waits for a person, success
 * when approved (or nothing to approve), failure when denied, error when no node produced a noop.
 * Plain text: the host shows it as it is (cut at 140 characters).
 */
export const reviewCommitStatus = (record: ReviewRecord): CommitStatus => {
  const decision = standing(record);
  const base = { context: REVIEW_STATUS_CONTEXT };
  const status = reviewStatus(record);
  if (status === 'approved') return { ...base, state: 'success', description: 'approved in Heckler' };
  if (status === 'auto_approved')
    return { ...base, state: 'success', description: 'auto-approved: it changes nothing on the fleet' };
  if (status === 'denied')
    return {
      ...base,
      state: 'failure',
      description: `denied in Heckler${decision?.reason ? `: ${decision.reason}` : ''}`.slice(0, 140),
    };
  const { covered, of } = coveredNodes(record);
  if (of > 0 && covered === 0)
    return { ...base, state: 'error', description: 'no node produced a noop: nothing to approve yet' };
  const c = record.grouped.counts;
  return {
    ...base,
    state: 'pending',
    description: `waiting for approval: ${c.changed} node${c.changed === 1 ? '' : 's'} would change`,
  };
};
