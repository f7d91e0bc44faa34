import type { ChangeSource } from '../delta/group.js';
import { naturalCompare } from '../delta/hostlist.js';
import type { ResourceChange } from '../puppet/types.js';
import type { PartOwnership } from '../review/records.js';

/** One (group, node): when the change was first and last seen there, and in how many scans in a row. */
export interface NodeStreak {
  /** Epoch milliseconds. */
  firstSeen: number;
  lastSeen: number;
  streak: number;
}

/**
 * Every node's `NodeStreak` as three arrays aligned with the group's sorted `nodes`: a fleet-wide
 * group is on thousands of nodes, and an object per node was most of a scan's state work.
 */
export interface NodeStreaks {
  firstSeen: number[];
  lastSeen: number[];
  streak: number[];
}

/** A change seen on clean nodes at their applied revision, as the store keeps it between scans. */
export interface PermadiffGroup {
  /** `changeHash` of the host-normalised change. */
  hash: string;
  /** The host-normalised change of the naturally first node (its file:line shown). */
  resource: ResourceChange;
  sources: ChangeSource[];
  /** Nodes it is currently seen on, sorted naturally; a node drops out when a scan of it no longer sees it. */
  nodes: string[];
  /** Per node of `nodes`, in the same order. */
  streaks: NodeStreaks;
  firstSeen: number;
  lastSeen: number;
  /** When some node first reached `minRuns` scans in a row: from then on it is a permadiff. */
  since?: number;
  /** When a scan no longer saw it on any node it was seen on; absent while it stands. */
  resolvedAt?: number;
  /** Owners of each source, from CODEOWNERS at the nodes' applied revisions. */
  owners: PartOwnership[];
}

/** A group as stores written before streaks were arrays hold it: an object per node. */
export interface LegacyPermadiffGroup extends Omit<PermadiffGroup, 'nodes' | 'streaks'> {
  nodes: Record<string, NodeStreak>;
}

/** A stored group in either shape, as the current one. */
export const upgradeGroup = (stored: PermadiffGroup | LegacyPermadiffGroup): PermadiffGroup => {
  if (Array.isArray(stored.nodes)) return stored as PermadiffGroup;
  const { nodes: byNode, ...rest } = stored as LegacyPermadiffGroup;
  const nodes = Object.keys(byNode).sort(naturalCompare);
  const streaks: NodeStreaks = { firstSeen: [], lastSeen: [], streak: [] };
  for (const node of nodes) {
    const { firstSeen, lastSeen, streak } = byNode[node] as NodeStreak;
    streaks.firstSeen.push(firstSeen);
    streaks.lastSeen.push(lastSeen);
    streaks.streak.push(streak);
  }
  return { ...rest, nodes, streaks };
};

/** What one scan saw of one group on the nodes it scanned cleanly. */
export interface Observation {
  hash: string;
  resource: ResourceChange;
  sources: ChangeSource[];
  /** Sorted naturally (as `groupDeltas` gives them). */
  nodes: readonly string[];
  owners: PartOwnership[];
}

export interface ScanInput {
  at: number;
  /** Nodes scanned cleanly: only these can break a streak or resolve a group. */
  scanned: ReadonlySet<string>;
  observed: readonly Observation[];
}

export interface Advanced {
  /** Every group still worth keeping (standing, observed, or resolved permadiffs). */
  groups: Map<string, PermadiffGroup>;
  /** Groups to forget: observations that went away before they became permadiffs. */
  dropped: string[];
}

const filled = (length: number, value: number): number[] => new Array<number>(length).fill(value);

const sameNodes = (a: readonly string[], b: readonly string[]): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/**
 * One group's nodes after a scan: each observed node extends its streak (or starts one), a node
 * not scanned keeps what it had, a scanned node not observed drops out. `before.nodes` and
 * `observed` are sorted naturally, so one merge keeps the result sorted.
 */
export const nextStreaks = (
  before: Pick<PermadiffGroup, 'nodes' | 'streaks'> | undefined,
  observed: readonly string[],
  scanned: ReadonlySet<string>,
  at: number,
): Pick<PermadiffGroup, 'nodes' | 'streaks'> => {
  const count = observed.length;
  if (before === undefined || before.nodes.length === 0)
    return {
      nodes: [...observed],
      streaks: { firstSeen: filled(count, at), lastSeen: filled(count, at), streak: filled(count, 1) },
    };
  const was = before.streaks;
  // A permadiff seen on the same nodes again, the common case: every streak grows by one. What
  // does not change is shared with the state before (state is never changed in place).
  if (sameNodes(before.nodes, observed))
    return {
      nodes: before.nodes,
      streaks: {
        firstSeen: was.firstSeen,
        lastSeen: filled(count, at),
        streak: was.streak.map((streak) => streak + 1),
      },
    };
  const nodes: string[] = [];
  const streaks: NodeStreaks = { firstSeen: [], lastSeen: [], streak: [] };
  const push = (node: string, firstSeen: number, lastSeen: number, streak: number) => {
    nodes.push(node);
    streaks.firstSeen.push(firstSeen);
    streaks.lastSeen.push(lastSeen);
    streaks.streak.push(streak);
  };
  let i = 0;
  let j = 0;
  while (i < before.nodes.length || j < count) {
    const old = before.nodes[i];
    const now = observed[j];
    const order = old === undefined ? 1 : now === undefined ? -1 : naturalCompare(old, now);
    if (order < 0) {
      if (!scanned.has(old as string))
        push(old as string, was.firstSeen[i] as number, was.lastSeen[i] as number, was.streak[i] as number);
      i++;
    } else if (order > 0) {
      push(now as string, at, at, 1);
      j++;
    } else {
      push(now as string, was.firstSeen[i] as number, at, (was.streak[i] as number) + 1);
      i++;
      j++;
    }
  }
  return { nodes, streaks };
};

const anyReaches = (streaks: readonly number[], minRuns: number): boolean => {
  for (const streak of streaks) if (streak >= minRuns) return true;
  return false;
};

/**
 * One scan applied to the stored state. A (group, node) streak grows by one per scan that sees it
 * and ends when a scan of that node does not; nodes not scanned (dirty, never applied, failed,
 * unreachable) keep what they had, so they neither extend nor break a streak. A group no scanned
 * node shows any more is resolved if it had become a permadiff, and forgotten if it had not (a
 * one-off drift was never called a permadiff, so its going away is no news).
 */
export const advance = (
  previous: ReadonlyMap<string, PermadiffGroup>,
  scan: ScanInput,
  minRuns: number,
): Advanced => {
  const { at, scanned } = scan;
  const groups = new Map<string, PermadiffGroup>();
  const dropped: string[] = [];
  for (const observation of scan.observed) {
    const before = previous.get(observation.hash);
    const standing = before !== undefined && before.resolvedAt === undefined ? before : undefined;
    const { nodes, streaks } = nextStreaks(standing, observation.nodes, scanned, at);
    const { hash, resource, sources, owners } = observation;
    const firstSeen = standing?.firstSeen ?? at;
    // Two literals rather than a spread of `since`: ten thousand groups a scan.
    groups.set(
      hash,
      anyReaches(streaks.streak, minRuns)
        ? {
            hash,
            resource,
            sources,
            nodes,
            streaks,
            firstSeen,
            lastSeen: at,
            since: standing?.since ?? at,
            owners,
          }
        : { hash, resource, sources, nodes, streaks, firstSeen, lastSeen: at, owners },
    );
  }
  for (const [hash, group] of previous) {
    // Every group seen by this scan is in `groups` by now.
    if (groups.has(hash)) continue;
    if (group.resolvedAt !== undefined) {
      groups.set(hash, group);
      continue;
    }
    const { nodes, streaks } = nextStreaks(group, [], scanned, at);
    if (nodes.length > 0) groups.set(hash, { ...group, nodes, streaks });
    else if (group.since !== undefined) groups.set(hash, { ...group, nodes, streaks, resolvedAt: at });
    else dropped.push(hash);
  }
  return { groups, dropped };
};

const anyBelow = (streaks: readonly number[], minRuns: number): boolean => {
  for (const streak of streaks) if (streak < minRuns) return true;
  return false;
};

/** The nodes on which the group is a permadiff (seen `minRuns` scans in a row), sorted naturally. */
export const permadiffNodes = (group: PermadiffGroup, minRuns: number): string[] => {
  const { nodes } = group;
  const { streak } = group.streaks;
  // On all its nodes (nearly always): the group's own list, not a copy; state is never changed in place.
  if (!anyBelow(streak, minRuns)) return nodes;
  return nodes.filter((_, i) => (streak[i] as number) >= minRuns);
};

/** The node's streak in the group, if it is on it. */
export const streakOf = (group: PermadiffGroup, node: string): NodeStreak | undefined => {
  const i = group.nodes.indexOf(node);
  return i < 0
    ? undefined
    : {
        firstSeen: group.streaks.firstSeen[i] as number,
        lastSeen: group.streaks.lastSeen[i] as number,
        streak: group.streaks.streak[i] as number,
      };
};

/**
 * The shortest streak and the earliest first-seen over `nodes` of the group, as a view shows a
 * group on them: a node it is not on counts as streak 0 and the group's own first-seen.
 */
export const leastOn = (
  group: PermadiffGroup,
  nodes: readonly string[],
): { streak: number; firstSeen: number } => {
  if (nodes.length === 0) return { streak: 0, firstSeen: group.firstSeen };
  const { streak: streaks, firstSeen: firstSeens } = group.streaks;
  let streak = Number.POSITIVE_INFINITY;
  let firstSeen = Number.POSITIVE_INFINITY;
  if (nodes === group.nodes || sameNodes(group.nodes, nodes)) {
    // On all its nodes (nearly always): the arrays as they are, no lookup.
    for (let i = 0; i < nodes.length; i++) {
      const runs = streaks[i] as number;
      const since = firstSeens[i] as number;
      if (runs < streak) streak = runs;
      if (since < firstSeen) firstSeen = since;
    }
    return { streak, firstSeen };
  }
  const index = new Map(group.nodes.map((node, i) => [node, i]));
  for (const node of nodes) {
    const i = index.get(node);
    const runs = i === undefined ? 0 : (streaks[i] as number);
    const since = i === undefined ? group.firstSeen : (firstSeens[i] as number);
    if (runs < streak) streak = runs;
    if (since < firstSeen) firstSeen = since;
  }
  return { streak, firstSeen };
};

/** Standing permadiffs: not resolved, and a permadiff on at least one node now. */
export const standing = (groups: Iterable<PermadiffGroup>, minRuns: number): PermadiffGroup[] =>
  [...groups].filter((group) => group.resolvedAt === undefined && anyReaches(group.streaks.streak, minRuns));
