import type { ChangeGroup, ChatIdMap, GroupedDelta } from '../delta/index.js';
import type { CodeRepo, NodeSpec } from '../ports/index.js';
import { ownershipOf } from '../review/ownership.js';
import type { PartOwnership } from '../review/records.js';

export interface OwnerSettings {
  chatIds: ChatIdMap;
  modulePaths: readonly string[];
  /** The files whose `node` statements define each certname at a revision (reviews use the same). */
  nodeDefinitions?: (sha: string) => Promise<(certname: string) => readonly string[]>;
}

const emptyGrouped = (groups: ChangeGroup[]): GroupedDelta => ({
  groups,
  evalErrorGroups: [],
  parentErrorGroups: [],
  failures: [],
  notInLineage: [],
  counts: { changed: 0, unchanged: 0, failed: 0, unreachable: 0, notInLineage: 0, evalError: 0 },
  deltaHash: '',
});

/** The part of a group on some nodes: its node list and sources cut to them; undefined when none. */
const restricted = (group: ChangeGroup, nodes: ReadonlySet<string>): ChangeGroup | undefined => {
  const kept = group.nodes.filter((node) => nodes.has(node));
  if (kept.length === 0) return undefined;
  // All on this revision (a fleet at one revision): the group as it is, no copy.
  if (kept.length === group.nodes.length) return group;
  const sources = group.sources
    .map((source) => ({ ...source, nodes: source.nodes.filter((node) => nodes.has(node)) }))
    .filter((source) => source.nodes.length > 0);
  return { ...group, nodes: kept, sources };
};

/**
 * Owners of each group, from CODEOWNERS **at the applied revision of the nodes it is on**, by the
 * same rules as reviews (file, then module directory, then the files defining the nodes; one
 * answer per distinct source). `ownershipOf` reads CODEOWNERS at a commit's first parent, so each
 * revision stands in as that parent: one CODEOWNERS read per revision, not per node or group. A
 * group on nodes at several revisions gets the owners found at each, without repeats.
 */
export const ownersAtRevisions = async (
  repo: CodeRepo,
  groups: readonly ChangeGroup[],
  revisionOf: ReadonlyMap<string, string>,
  nodes: readonly NodeSpec[],
  settings: OwnerSettings,
): Promise<Map<string, PartOwnership[]>> => {
  const byRevision = new Map<string, Set<string>>();
  for (const [node, revision] of revisionOf)
    byRevision.set(revision, (byRevision.get(revision) ?? new Set()).add(node));
  const certnames = new Map(nodes.map((node) => [node.name, node.certname]));
  const owners = new Map<string, Map<string, PartOwnership>>();
  for (const [revision, onRevision] of byRevision) {
    const parts = groups.flatMap((group) => restricted(group, onRevision) ?? []);
    if (parts.length === 0) continue;
    const commit = await repo.commit(revision);
    const definingFiles = settings.nodeDefinitions ? await settings.nodeDefinitions(revision) : () => [];
    const found = await ownershipOf(repo, { ...commit, parents: [revision] }, emptyGrouped(parts), {
      chatIds: settings.chatIds,
      modulePaths: settings.modulePaths,
      certnames,
      definingFiles,
      changed: [],
    });
    parts.forEach((part, index) => {
      const known = owners.get(part.hash) ?? new Map<string, PartOwnership>();
      for (const owner of found.partOwners[index] ?? []) known.set(JSON.stringify(owner), owner);
      owners.set(part.hash, known);
    });
  }
  return new Map([...owners].map(([hash, parts]) => [hash, [...parts.values()]]));
};
