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

/** A change seen on clean nodes at their applied revision, as the store keeps it between scans. */
export interface PermadiffGroup {
  /** `changeHash` of the host-normalised change. */
  hash: string;
  /** The host-normalised change of the naturally first node (its file:line shown). */
  resource: ResourceChange;
  sources: ChangeSource[];
  /** Nodes it is currently seen on; a node drops out when a scan of it no longer sees it. */
  nodes: Record<string, NodeStreak>;
  firstSeen: number;
  lastSeen: number;
  /** When some node first reached `minRuns` scans in a row: from then on it is a permadiff. */
  since?: number;
  /** When a scan no longer saw it on any node it was seen on; absent while it stands. */
  resolvedAt?: number;
  /** Owners of each source, from CODEOWNERS at the nodes' applied revisions. */
  owners: PartOwnership[];
}

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

const isPermadiff = (nodes: Record<string, NodeStreak>, minRuns: number) =>
  Object.values(nodes).some((entry) => entry.streak >= minRuns);

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
  const seen = new Set<string>();
  for (const observation of scan.observed) {
    seen.add(observation.hash);
    const before = previous.get(observation.hash);
    const standing = before !== undefined && before.resolvedAt === undefined ? before : undefined;
    // Nodes not scanned keep what they had; observed nodes come sorted, so only a mix needs sorting.
    let carried = false;
    const nodes: Record<string, NodeStreak> = {};
    if (standing)
      for (const node in standing.nodes)
        if (!scanned.has(node)) {
          nodes[node] = standing.nodes[node] as NodeStreak;
          carried = true;
        }
    let permadiff = false;
    for (const node of observation.nodes) {
      const was = standing?.nodes[node];
      const streak = was ? was.streak + 1 : 1;
      nodes[node] = { firstSeen: was ? was.firstSeen : at, lastSeen: at, streak };
      permadiff ||= streak >= minRuns;
    }
    const since = permadiff || (carried && isPermadiff(nodes, minRuns)) ? (standing?.since ?? at) : undefined;
    groups.set(observation.hash, {
      hash: observation.hash,
      resource: observation.resource,
      sources: observation.sources,
      nodes: carried ? sortedNodes(nodes) : nodes,
      firstSeen: standing?.firstSeen ?? at,
      lastSeen: at,
      ...(since === undefined ? {} : { since }),
      owners: observation.owners,
    });
  }
  for (const [hash, group] of previous) {
    if (seen.has(hash)) continue;
    if (group.resolvedAt !== undefined) {
      groups.set(hash, group);
      continue;
    }
    const nodes: Record<string, NodeStreak> = {};
    for (const [node, entry] of Object.entries(group.nodes)) if (!scanned.has(node)) nodes[node] = entry;
    if (Object.keys(nodes).length > 0) groups.set(hash, { ...group, nodes });
    else if (group.since !== undefined) groups.set(hash, { ...group, nodes: {}, resolvedAt: at });
    else dropped.push(hash);
  }
  return { groups, dropped };
};

const sortedNodes = (nodes: Record<string, NodeStreak>): Record<string, NodeStreak> =>
  Object.fromEntries(Object.entries(nodes).sort(([a], [b]) => naturalCompare(a, b)));

/** The nodes on which the group is a permadiff (seen `minRuns` scans in a row), sorted naturally. */
export const permadiffNodes = (group: PermadiffGroup, minRuns: number): string[] => {
  const nodes: string[] = [];
  for (const node in group.nodes) if ((group.nodes[node] as NodeStreak).streak >= minRuns) nodes.push(node);
  return nodes;
};

/** Standing permadiffs: not resolved, and a permadiff on at least one node now. */
export const standing = (groups: Iterable<PermadiffGroup>, minRuns: number): PermadiffGroup[] =>
  [...groups].filter((group) => group.resolvedAt === undefined && permadiffNodes(group, minRuns).length > 0);
