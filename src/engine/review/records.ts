import type { StoredIgnore } from '../delta/ignores.js';
import {
  autoApprove,
  type Deciders,
  type Decision,
  deciders,
  type GroupedDelta,
  groupsNeedingApproval,
  type Ownership,
  standingDecision,
} from '../delta/index.js';
import type { CommitBuild } from '../gate/rules.js';
import type { MessageRef } from '../ports/index.js';

export type ReviewStatus = 'pending' | 'approved' | 'denied' | 'auto_approved';

/** Records of an older shape are recomputed on first read rather than trusted. */
export const REVIEW_SCHEMA = 2;

/** What GitHub says of the commit (when the repository is on GitHub and a token is configured). */
export type GitHubIdentity =
  | {
      authorLogin?: string;
      committerLogin?: string;
      verified: boolean;
      verificationReason?: string;
      /** Chat users the logins map to (config `approvals.owners`): they may not decide either. */
      chatIds: string[];
    }
  | { error: string };

/** Owners of one part of the change: `of` says which (a file:line, a module, node definitions). */
export interface PartOwnership extends Ownership {
  of: string;
}

/** One commit's review: its delta against the fleet it was computed on, who owns it, what was decided. */
export interface ReviewRecord {
  sha: string;
  shortSha: string;
  subject: string;
  /** Epoch milliseconds (commit date), for oldest-first lists. */
  committedAt: number;
  schema?: number;
  /** Chat ids of the author and co-authors. */
  authors: string[];
  /** Authors without a chat id (config `approvals.people`), as `Name <email>`. */
  unmappedAuthors: string[];
  /** The committer as git names them (`Name <email>`), and their chat id when mapped. */
  committer?: { person: string; id?: string };
  /** Chat ids that may not decide on this commit: authors, co-authors, committer, their GitHub logins. */
  excluded?: string[];
  github?: GitHubIdentity;
  /** Changed files whose code Puppet runs while nooping (plugins, templates, facts): never auto-approved. */
  pluginCode?: string[];
  /** The owners of CODEOWNERS itself (at the parent), when the commit changes it. */
  codeownersOwners?: PartOwnership;
  /** Per group needing approval: the owners of each of its sources (all of them must be covered). */
  partOwners?: PartOwnership[][];
  fleetHash: string;
  /** `ignoresHash` of the stored ignores active when computed; absent: none (older records). */
  ignoresHash?: string;
  deltaHash: string;
  computedAt: number;
  grouped: GroupedDelta;
  /** Owners of each group needing approval, in `groupsNeedingApproval` order. */
  groupOwners: Ownership[];
  /** Owners of each evaluation error group. */
  evalOwners: Ownership[];
  decisions: Decision[];
  /** What happened to the review over time, newest last ("re-nooped: the delta changed…"): chat text (escaped mrkdwn). */
  notes: string[];
  /** The commit's own build (repo.build): written by the build gate as the build moves, kept across re-noops. */
  build?: CommitBuild;
  message?: MessageRef;
}

export const reviewStatus = (record: ReviewRecord): ReviewStatus => {
  const standing = standingDecision(record.decisions, record.deltaHash);
  if (standing) return standing.verdict === 'approve' ? 'approved' : 'denied';
  // Plugin code ran on the nodes during the noop and could have shaped its own report.
  const runsCode = (record.pluginCode ?? []).length > 0;
  // Nothing nooped anywhere (every node on another line of history) is nothing seen, not "no change".
  const seen = coveredNodes(record).covered > 0;
  return autoApprove(record.grouped) && !runsCode && seen ? 'auto_approved' : 'pending';
};

/** Nodes whose noop of the commit produced a report: what an approval covers. */
export const coveredNodes = (record: ReviewRecord): { covered: number; of: number } => {
  const c = record.grouped.counts;
  const covered = c.changed + c.unchanged + c.evalError;
  return { covered, of: covered + c.failed + c.unreachable };
};

/** Nodes the commit was to be nooped on but whose noop failed, timed out or did not answer, and why. */
export const unreviewedNodes = (record: ReviewRecord): Map<string, string> => {
  const out = new Map<string, string>();
  for (const failure of record.grouped.failures)
    for (const node of failure.nodes)
      out.set(node, `${failure.kind === 'unreachable' ? 'unreachable' : 'noop failed'}: ${failure.error}`);
  return out;
};

export const standing = (record: ReviewRecord): Decision | undefined =>
  standingDecision(record.decisions, record.deltaHash);

/** Every part's owners: each source of each group, each evaluation error, CODEOWNERS when changed. */
export const ownerLists = (record: ReviewRecord): string[][] => [
  ...(record.partOwners?.flat() ?? record.groupOwners).map((o) => o.owners),
  ...record.evalOwners.map((o) => o.owners),
  ...(record.codeownersOwners ? [record.codeownersOwners.owners] : []),
];

/** Who may not decide: everyone the commit names as its writer. */
export const excludedOf = (record: ReviewRecord): string[] => record.excluded ?? record.authors;

/** Who could approve it, given the roles in config: the refusal and the status line say so. */
export const decidersOf = (
  record: ReviewRecord,
  roles: { admins: readonly string[]; approvers: readonly string[] },
): Deciders =>
  deciders({
    groupOwners: ownerLists(record),
    excluded: excludedOf(record),
    admins: roles.admins,
    approvers: roles.approvers,
  });

export const needsApproval = (record: ReviewRecord) => groupsNeedingApproval(record.grouped);

export interface AuditEntry {
  at: number;
  /** The commit decided on; absent for entries about no commit (ignores). */
  sha?: string;
  shortSha?: string;
  user: string;
  action: 'approve' | 'deny' | 'auto_approve' | 'void' | 'apply_forced' | 'ignore' | 'unignore';
  /** The delta a decision was bound to; absent for entries about no commit (ignores). */
  deltaHash?: string;
  /** An ignore made or removed: which, of what, where, until when. */
  ignore?: Pick<StoredIgnore, 'id' | 'type' | 'title' | 'nodes' | 'set' | 'expiresAt'>;
  reason?: string;
  via: 'button' | 'command' | 'heckler';
  /** Where a person acted from; a terminal action names the operating-system user too. */
  surface?: 'slack' | 'terminal';
  osUser?: string;
}
