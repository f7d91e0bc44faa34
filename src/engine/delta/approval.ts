import type { Person } from '../ports/repo.js';
import { type GroupedDelta, sourceFiles } from './group.js';

/**
 * Who may approve (DESIGN.md §3.5), as pure rules.
 *
 * Authors, co-authors and the committer never approve their own commit — admins included. "Admins may approve
 * anything" is read as a statement of scope (any change, whoever owns it), not of identity: an
 * approval is a second pair of eyes, and letting an admin wave through their own commit would
 * make it one pair. An admin who wrote a commit asks another admin or an owner.
 *
 * The `approver` role (config `roles.approvers`: "may approve commits, together with code
 * ownership") grants approval of any commit, like an admin; owners may approve without it.
 *
 * One decision covers the whole commit, so an owner must own every part needing approval: every
 * source of every change group, every evaluation error group, and CODEOWNERS itself when the
 * commit changes it. A group without mapped owners can only be approved by an admin or
 * an approver — the refusal says who.
 */

export interface ApprovalRequest {
  user: string;
  roles: ReadonlySet<string>;
  /**
   * Chat ids owning each part that needs approval: one list per source of each change group, per
   * evaluation error group, and the CODEOWNERS file's owners when the commit changes it.
   */
  groupOwners: readonly (readonly string[])[];
  /**
   * Chat ids that may not decide: the author, co-authors and committer (by email), and the chat
   * users their GitHub logins map to.
   */
  excluded: readonly string[];
  /** Everyone holding the admin role, then the approver role: for the refusal's "who can". */
  admins: readonly string[];
  approvers: readonly string[];
}

export type ApprovalVerdict =
  | { ok: true; as: 'admin' | 'approver' | 'owner' }
  | { ok: false; reason: 'author' | 'not_owner'; whoCan: string[] };

/** The users owning every part; none when there are no parts to own. */
const owningAll = (groupOwners: readonly (readonly string[])[]): string[] => {
  const [first, ...rest] = groupOwners;
  if (first === undefined) return [];
  return [...new Set(first)].filter((id) => rest.every((owners) => owners.includes(id)));
};

/** Who could decide, by the capacity they would do it in: nobody excluded, nobody listed twice. */
export interface Deciders {
  /** Own every part of the change. */
  owners: string[];
  approvers: string[];
  admins: string[];
}

export const deciders = (request: Omit<ApprovalRequest, 'user' | 'roles'>): Deciders => {
  const excluded = new Set(request.excluded);
  const seen = new Set<string>();
  const pick = (ids: readonly string[]) =>
    ids.filter((id) => {
      if (excluded.has(id) || seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  const owners = pick(owningAll(request.groupOwners));
  return { owners, approvers: pick(request.approvers), admins: pick(request.admins) };
};

/** Also the rule for deny: whoever may approve may deny, and no one else. */
export const mayApprove = (request: ApprovalRequest): ApprovalVerdict => {
  const all = deciders(request);
  const whoCan = [...all.owners, ...all.approvers, ...all.admins].filter((id) => id !== request.user);
  if (request.excluded.includes(request.user)) return { ok: false, reason: 'author', whoCan };
  if (request.roles.has('admin')) return { ok: true, as: 'admin' };
  if (request.roles.has('approver')) return { ok: true, as: 'approver' };
  if (all.owners.includes(request.user)) return { ok: true, as: 'owner' };
  return { ok: false, reason: 'not_owner', whoCan };
};

/**
 * The author's and co-authors' chat ids, by email (config `approvals.people`, case-insensitive).
 * Unmapped people are returned so the message can say the author exclusion cannot cover them.
 */
export const authorChatIds = (
  people: readonly Person[],
  chatIdsByEmail: Readonly<Record<string, string>>,
): { ids: string[]; unmapped: Person[] } => {
  const byEmail = new Map(Object.entries(chatIdsByEmail).map(([email, id]) => [email.toLowerCase(), id]));
  const ids = new Set<string>();
  const unmapped: Person[] = [];
  for (const person of people) {
    const id = byEmail.get(person.email.toLowerCase());
    if (id === undefined) unmapped.push(person);
    else ids.add(id);
  }
  return { ids: [...ids], unmapped };
};

/** An approval holds only for the delta it was given for: a re-noop with another delta voids it. */
export const approvalStands = (approval: { deltaHash: string }, currentDeltaHash: string): boolean =>
  approval.deltaHash === currentDeltaHash;

/**
 * Nothing to review: no change outside the ignored ones, no evaluation error — and every node
 * answered. A failed or unreachable node's delta is unknown, and its coming back does not change
 * the fleet state, so an automatic approval would let an unseen change through.
 */
export const autoApprove = (grouped: GroupedDelta): boolean =>
  grouped.groups.every((group) => group.ignored !== undefined) &&
  grouped.evalErrorGroups.length === 0 &&
  grouped.counts.failed === 0 &&
  grouped.counts.unreachable === 0;

export interface Decision {
  verdict: 'approve' | 'deny';
  user: string;
  /** Epoch milliseconds, from the caller's clock. */
  at: number;
  commit: string;
  /** The delta decided on: a decision on another delta does not stand. */
  deltaHash: string;
  /** Why, for a deny. */
  reason?: string;
  /** A click on the message, or a typed `/heckler approve|deny`. */
  via: 'button' | 'command';
}

/**
 * The decision standing for the current delta: the first one recorded for it. The one exception
 * is the design's "deny blocks until someone approves": a typed approval (deliberate, never a
 * double click or a race between two clicks) overturns a standing deny.
 */
export const standingDecision = (
  decisions: readonly Decision[],
  currentDeltaHash: string,
): Decision | undefined => {
  let standing: Decision | undefined;
  for (const decision of decisions) {
    if (decision.deltaHash !== currentDeltaHash) continue;
    if (standing === undefined || overturns(standing, decision)) standing = decision;
  }
  return standing;
};

const overturns = (standing: Decision, incoming: Decision) =>
  standing.verdict === 'deny' && incoming.verdict === 'approve' && incoming.via === 'command';

export type DecisionResult =
  /** Store it, update the message, write the audit log. */
  | { result: 'recorded'; decision: Decision }
  /** The same user's same verdict again (double click, Slack retry): nothing new. */
  | { result: 'repeated'; decision: Decision }
  /** Someone decided first: the incoming one is refused, naming the standing decision. */
  | { result: 'already_decided'; decision: Decision };

/** First decision wins (idempotent for repeats), given the decisions recorded for the commit in order. */
export const decide = (recorded: readonly Decision[], incoming: Decision): DecisionResult => {
  const standing = standingDecision(recorded, incoming.deltaHash);
  if (standing === undefined || overturns(standing, incoming))
    return { result: 'recorded', decision: incoming };
  if (standing.user === incoming.user && standing.verdict === incoming.verdict) {
    return { result: 'repeated', decision: standing };
  }
  return { result: 'already_decided', decision: standing };
};

/**
 * Whether `current` shows nothing that `approved` did not: every group needing approval, and
 * every evaluation error, was in the approved delta on at least the same nodes. A rollout that
 * applies the commit to canaries shrinks its delta (the canaries have it now); the approval given
 * for the whole fleet still covers the rest, so it is carried over rather than voided.
 */
export const deltaWithin = (current: GroupedDelta, approved: GroupedDelta): boolean => {
  const covers = (nodes: readonly string[], approvedNodes: readonly string[] | undefined) =>
    approvedNodes !== undefined && nodes.every((node) => approvedNodes.includes(node));
  const approvedGroups = new Map(approved.groups.filter((g) => !g.ignored).map((g) => [g.hash, g]));
  // A change now declared in a file it was not (its owners have not seen it) is new, even on the same nodes.
  const sourcesCovered = (group: GroupedDelta['groups'][number]) => {
    const before = approvedGroups.get(group.hash);
    if (before?.sources === undefined || group.sources === undefined) return true;
    const approvedFiles = new Map(sourceFiles(before));
    return sourceFiles(group).every(([file, nodes]) => covers(nodes, approvedFiles.get(file)));
  };
  const errorKey = (e: { message: string; file?: string; line?: number }) =>
    `${e.message}\0${e.file ?? ''}\0${e.line ?? ''}`;
  const approvedErrors = new Map(approved.evalErrorGroups.map((e) => [errorKey(e), e.nodes]));
  return (
    current.groups.every(
      (group) =>
        group.ignored !== undefined ||
        (covers(group.nodes, approvedGroups.get(group.hash)?.nodes) && sourcesCovered(group)),
    ) && current.evalErrorGroups.every((error) => covers(error.nodes, approvedErrors.get(errorKey(error))))
  );
};
