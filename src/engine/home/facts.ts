import type { ApplyRecord } from '../apply/records.js';
import type { BuildRecord } from '../builds/records.js';
import type { NodeLock } from '../locks/node-locks.js';
import type { PermadiffGroup } from '../permadiffs/state.js';
import { waitsForOwners } from '../review/ping-targets.js';
import { type AuditEntry, decidersOf, excludedOf, type ReviewRecord } from '../review/records.js';
import type { AppliedState } from '../runs/applied-state.js';

/** One revision of the fleet: the nodes that run it, and of those the dirty and the locked ones. */
export interface RevisionRow {
  /** Undefined: nodes Heckler never applied (or whose state it has not read yet). */
  sha?: string;
  /** Its tags and branches. */
  names: string[];
  nodes: string[];
  dirty: string[];
  locked: string[];
}

/** Everything any dashboard shows, read once per refresh; `homeFactsFor` picks one user's part. */
export interface SharedFacts {
  reviews: ReviewRecord[];
  applies: ApplyRecord[];
  builds: BuildRecord[];
  locks: NodeLock[];
  fleet: RevisionRow[];
  permadiffs: PermadiffGroup[];
  audit: AuditEntry[];
  /** Which halves the bot runs: a dashboard says nothing of the ones it does not. */
  has: { fleet: boolean; builds: boolean };
}

/** One user's dashboard facts: nothing private of anyone else's is in here. */
export interface HomeFacts {
  user: string;
  /** Pending commits this user may decide (owner of every part, approver or admin), not their own. */
  awaiting: ReviewRecord[];
  /** Running (and confirmed) applies and queued or running builds: the whole team sees those. */
  applies: ApplyRecord[];
  builds: BuildRecord[];
  /** Locks this user holds. */
  locks: NodeLock[];
  fleet: RevisionRow[];
  /** Standing permadiffs with a part this user owns. */
  permadiffs: PermadiffGroup[];
  /** This user's own decisions, newest first. */
  decisions: AuditEntry[];
  has: SharedFacts['has'];
}

export interface HomeRoles {
  admins: readonly string[];
  approvers: readonly string[];
}

/** The fleet by revision, most nodes first; nodes never applied last. */
export const fleetByRevision = (
  nodes: readonly { node: string; applied?: Pick<AppliedState, 'revision' | 'dirty'> }[],
  locks: readonly Pick<NodeLock, 'node'>[],
  namesOf: (sha: string) => readonly string[] = () => [],
): RevisionRow[] => {
  const locked = new Set(locks.map((lock) => lock.node));
  const rows = new Map<string, RevisionRow>();
  for (const { node, applied } of nodes) {
    const key = applied?.revision ?? '';
    let row = rows.get(key);
    if (!row) {
      row = {
        ...(applied ? { sha: applied.revision } : {}),
        names: applied ? [...namesOf(applied.revision)] : [],
        nodes: [],
        dirty: [],
        locked: [],
      };
      rows.set(key, row);
    }
    row.nodes.push(node);
    if (applied?.dirty) row.dirty.push(node);
    if (locked.has(node)) row.locked.push(node);
  }
  return [...rows.values()].sort(
    (a, b) =>
      Number(a.sha === undefined) - Number(b.sha === undefined) ||
      b.nodes.length - a.nodes.length ||
      (a.sha ?? '').localeCompare(b.sha ?? ''),
  );
};

const DECISIONS = new Set<AuditEntry['action']>(['approve', 'deny', 'apply_forced', 'ignore', 'unignore']);

/** One user's part of the shared facts (pure: the dashboard and its privacy are decided here). */
export const homeFactsFor = (user: string, shared: SharedFacts, roles: HomeRoles): HomeFacts => ({
  user,
  awaiting: shared.reviews
    .filter((record) => waitsForOwners(record) && !excludedOf(record).includes(user))
    .filter((record) => {
      const who = decidersOf(record, roles);
      return who.owners.includes(user) || who.approvers.includes(user) || who.admins.includes(user);
    })
    .sort((a, b) => a.committedAt - b.committedAt),
  applies: shared.applies,
  builds: shared.builds,
  locks: shared.locks.filter((lock) => lock.owner === user),
  fleet: shared.fleet,
  permadiffs: shared.permadiffs.filter(
    (group) => group.resolvedAt === undefined && group.owners.some((part) => part.owners.includes(user)),
  ),
  decisions: shared.audit
    .filter((entry) => entry.user === user && DECISIONS.has(entry.action))
    .sort((a, b) => b.at - a.at),
  has: shared.has,
});
