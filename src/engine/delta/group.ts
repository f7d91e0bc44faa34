import type { ResourceChange } from '../puppet/types.js';
import { canonicalChange, compareText, sha256 } from './change-key.js';
import { ChangeIndex, type ChangeSource } from './group-index.js';
import { compileRules, type PartitionOf } from './group-rules.js';
import { Tally } from './group-tally.js';
import { naturalCompare } from './hostlist.js';
import type { NodeDelta, ParentError } from './subtract.js';

/** A resource whose changes are shown collapsed and never need approval (config `approvals.ignore`). */
export interface IgnoreRule {
  type: string;
  title?: string;
  /** A regular expression over titles, searched (not anchored, as the config documents: `^/var/cache/`). */
  titlePattern?: string;
  purpose: string;
  rationale: string;
  /**
   * Only on these nodes (a stored ignore's `--nodes`/`--set`); absent: everywhere. A group that
   * spans nodes in and out of scope splits, so the part out of scope still needs approval.
   */
  nodes?: readonly string[];
  /** A stored ignore's id (`/heckler unignore ID`); absent for rules from heckler.yml. */
  id?: string;
}

export type { ChangeSource } from './group-index.js';

export interface ChangeGroup {
  /** `changeHash` of every member. */
  hash: string;
  /** The member of the naturally first node: its file:line is the one shown. */
  resource: ResourceChange;
  /** Sorted naturally. */
  nodes: string[];
  /** Every distinct file:line the change comes from, with its nodes; ordered by file, then line. */
  sources: ChangeSource[];
  /** Highlighted: a service restart or an exec would run. */
  refresh: boolean;
  /** The first rule (in config order) that matches: shown collapsed, needs no approval. */
  ignored?: IgnoreRule;
}

export interface EvalErrorGroup {
  message: string;
  file?: string;
  line?: number;
  nodes: string[];
}

/** Parents that gave nothing to subtract, per node (see `ParentError`). */
export interface ParentErrorGroup extends Omit<ParentError, 'evalErrors'> {
  nodes: string[];
}

export interface FailureGroup {
  kind: 'failed' | 'unreachable';
  error: string;
  nodes: string[];
}

/** Nodes by the kind of their delta; a node whose only changes are ignored still counts as changed. */
export interface DeltaCounts {
  changed: number;
  unchanged: number;
  failed: number;
  unreachable: number;
  notInLineage: number;
  evalError: number;
}

export interface GroupedDelta {
  /** Groups needing approval first, then ignored ones; each by `Type[title]`, then hash. */
  groups: ChangeGroup[];
  evalErrorGroups: EvalErrorGroup[];
  parentErrorGroups: ParentErrorGroup[];
  failures: FailureGroup[];
  notInLineage: string[];
  counts: DeltaCounts;
  /**
   * What an approval is bound to: sha256 over each non-ignored group's hash with its nodes, and
   * each evaluation error group. Ignored groups are left out — they never need approval, so noise
   * coming and going must not void one. Nor do failed or unreachable nodes count: an approval
   * covers the changes seen; a node that comes back with changes adds nodes to a group and so
   * changes the hash.
   */
  deltaHash: string;
}

/** One pass over the deltas, naturally ordered by node so every node list comes out sorted. */
const collect = (deltas: readonly NodeDelta[], partitionOf: PartitionOf) => {
  const tally = new Tally();
  const changes = new Map<string, ChangeIndex>();
  for (const delta of [...deltas].sort((a, b) => naturalCompare(a.node, b.node))) {
    const { node } = delta;
    tally.add(delta);
    for (const resource of delta.resources) {
      const partition = partitionOf(resource, node);
      let index = changes.get(partition);
      if (index === undefined) {
        index = new ChangeIndex();
        changes.set(partition, index);
      }
      index.add(resource, node);
    }
  }
  return { tally, changes };
};

/** Sources ordered by file, then line. */
export const sortSources = (sources: Iterable<ChangeSource>): ChangeSource[] => {
  const all = [...sources];
  return all.length < 2
    ? all
    : all.sort((a, b) => compareText(a.file ?? '', b.file ?? '') || (a.line ?? 0) - (b.line ?? 0));
};

/**
 * Groups the per-node deltas of one commit (DESIGN.md §3.4): identical changes collapse into one
 * group with its nodes; the canonical text is built and hashed once per group, not per node.
 * `ignored` is matched in order: the first rule that applies to a change on a node wins.
 */
export const groupDeltas = (
  deltas: readonly NodeDelta[],
  options: { ignored: readonly IgnoreRule[] },
): GroupedDelta => {
  const rules = compileRules(options.ignored);
  const { tally, changes } = collect(deltas, rules.partitionOf);
  const groups = [...changes].flatMap(([partition, index]) =>
    index.collected.map(({ resource, nodes, sources }): ChangeGroup => {
      const ignored = rules.ignoredBy(partition, resource);
      return {
        hash: sha256(canonicalChange(resource)),
        resource,
        nodes,
        sources: sortSources(sources.values()),
        refresh: resource.refresh,
        ...(ignored ? { ignored } : {}),
      };
    }),
  );
  return finishGroups(groups, tally);
};

/** Groups in their order (needing approval first, then by `Type[title]` and hash), with the rest of the tally. */
export const finishGroups = (groups: ChangeGroup[], tally: Tally): GroupedDelta => {
  // Names made once and sorted beside their groups: no lookup per comparison of 10,000 groups.
  // Many groups share a name (one file drifting differently per node), so the names are ranked
  // once and the groups compared by rank.
  const named = groups.map((group) => ({
    group,
    ignored: Number(group.ignored !== undefined),
    name: `${group.resource.type}[${group.resource.title}]`,
    rank: 0,
  }));
  const ranks = new Map<string, number>();
  for (const { name } of named) ranks.set(name, 0);
  let rank = 0;
  for (const name of [...ranks.keys()].sort(compareText)) ranks.set(name, rank++);
  for (const each of named) each.rank = ranks.get(each.name) as number;
  named.sort((a, b) => {
    if (a.ignored !== b.ignored) return a.ignored - b.ignored;
    if (a.rank !== b.rank) return a.rank - b.rank;
    if (a.group.hash !== b.group.hash) return a.group.hash < b.group.hash ? -1 : 1;
    // One change ignored by two node-scoped rules is two ignored groups with one hash.
    return naturalCompare(a.group.nodes[0] ?? '', b.group.nodes[0] ?? '');
  });
  for (let k = 0; k < named.length; k++) groups[k] = (named[k] as (typeof named)[number]).group;
  const evalErrorGroups = tally.evalErrors.sorted();
  let deltaHash: string | undefined;
  return {
    groups,
    evalErrorGroups,
    parentErrorGroups: tally.parentErrors.sorted(),
    failures: tally.failures.sorted(),
    notInLineage: tally.notInLineage,
    counts: tally.counts,
    // Made when first read: a review reads it at once, but the permadiff scan groups the same way
    // and approves nothing, so hashing its whole fleet's node lists there would be wasted.
    get deltaHash() {
      deltaHash ??= deltaHashOf(groups, evalErrorGroups);
      return deltaHash;
    },
  };
};

/**
 * The files a group's change comes from, with their nodes. Files, not lines: owners own files, and
 * a resource moved two lines up is not a new change to approve.
 */
export const sourceFiles = (group: Pick<ChangeGroup, 'sources'>): [string, string[]][] => {
  // One source (nearly every group): its nodes are already distinct and sorted naturally.
  const only = group.sources?.length === 1 ? group.sources[0] : undefined;
  if (only !== undefined && strictlyNatural(only.nodes)) return [[only.file ?? '', [...only.nodes]]];
  const byFile = new Map<string, Set<string>>();
  for (const source of group.sources ?? []) {
    const nodes = byFile.get(source.file ?? '') ?? new Set<string>();
    for (const node of source.nodes) nodes.add(node);
    byFile.set(source.file ?? '', nodes);
  }
  return [...byFile]
    .sort(([a], [b]) => compareText(a, b))
    .map(([file, nodes]) => [file, [...nodes].sort(naturalCompare)]);
};

const strictlyNatural = (nodes: readonly string[]): boolean => {
  for (let i = 1; i < nodes.length; i++)
    if (naturalCompare(nodes[i - 1] as string, nodes[i] as string) >= 0) return false;
  return true;
};

const deltaHashOf = (groups: readonly ChangeGroup[], evalErrorGroups: readonly EvalErrorGroup[]): string =>
  sha256(
    JSON.stringify({
      changes: groups
        .filter((group) => group.ignored === undefined)
        // Where a change comes from decides who owns it: a new source is something new to approve.
        .map((group) => [group.hash, group.nodes, sourceFiles(group)])
        .sort((a, b) => compareText(a[0] as string, b[0] as string)),
      evalErrors: evalErrorGroups.map((group) => [
        group.message,
        group.file ?? null,
        group.line ?? null,
        group.nodes,
      ]),
    }),
  );

/** Groups that need someone's approval. */
export const groupsNeedingApproval = (grouped: GroupedDelta): ChangeGroup[] =>
  grouped.groups.filter((group) => group.ignored === undefined);
