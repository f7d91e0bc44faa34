import {
  autoApprove,
  type Decision,
  type GroupedDelta,
  groupsNeedingApproval,
  type Ownership,
  standingDecision,
} from '../delta/index.js';
import type { MessageRef } from '../ports/index.js';

export type ReviewStatus = 'pending' | 'approved' | 'denied' | 'auto_approved';

/** One commit's review: its delta against the fleet it was computed on, who owns it, what was decided. */
export interface ReviewRecord {
  sha: string;
  shortSha: string;
  subject: string;
  /** Epoch milliseconds (commit date), for oldest-first lists. */
  committedAt: number;
  /** Chat ids of the author and co-authors. */
  authors: string[];
  /** Authors without a chat id (config `approvals.people`), as `Name <email>`. */
  unmappedAuthors: string[];
  fleetHash: string;
  deltaHash: string;
  computedAt: number;
  grouped: GroupedDelta;
  /** Owners of each group needing approval, in `groupsNeedingApproval` order. */
  groupOwners: Ownership[];
  /** Owners of each evaluation error group. */
  evalOwners: Ownership[];
  decisions: Decision[];
  /** What happened to the review over time, newest last ("re-nooped: the delta changed…"). */
  notes: string[];
  message?: MessageRef;
}

export const reviewStatus = (record: ReviewRecord): ReviewStatus => {
  const standing = standingDecision(record.decisions, record.deltaHash);
  if (standing) return standing.verdict === 'approve' ? 'approved' : 'denied';
  return autoApprove(record.grouped) ? 'auto_approved' : 'pending';
};

export const standing = (record: ReviewRecord): Decision | undefined =>
  standingDecision(record.decisions, record.deltaHash);

/** Chat ids owning all of the commit's reviewable changes: per group, then evaluation errors. */
export const ownerLists = (record: ReviewRecord): string[][] => [
  ...record.groupOwners.map((o) => o.owners),
  ...record.evalOwners.map((o) => o.owners),
];

export const needsApproval = (record: ReviewRecord) => groupsNeedingApproval(record.grouped);

export interface AuditEntry {
  at: number;
  sha: string;
  shortSha: string;
  user: string;
  action: 'approve' | 'deny' | 'auto_approve' | 'void';
  deltaHash: string;
  reason?: string;
  via: 'button' | 'command' | 'heckler';
}
