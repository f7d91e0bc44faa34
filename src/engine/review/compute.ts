import {
  type DeltaInput,
  deltaForNode,
  fleetStateHash,
  type GroupedDelta,
  groupDeltas,
  type IgnoreRule,
  type NodeDelta,
  notInLineage,
} from '../delta/index.js';
import { HecklerError } from '../errors.js';
import type { CodeRepo, CommitInfo, NodeSpec } from '../ports/index.js';
import { nextTurn, type Offload } from '../ports/offload.js';
import type { FleetService } from '../runs/fleet-service.js';
import { escapeText } from '../text/mrkdwn.js';
import { unlessUnrelated } from './lineage.js';
import type { AppliedOf, NoopCache } from './noop-cache.js';

/** Whether a node's revision and the commit are on one line of history; git failures say so plainly. */
const lineageOf = async (repo: CodeRepo, revision: string, sha: string, node: string): Promise<boolean> => {
  try {
    return (
      (await unlessUnrelated(repo.isAncestor(revision, sha))) ||
      (await unlessUnrelated(repo.isAncestor(sha, revision)))
    );
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new HecklerError(
      'REPO_UNAVAILABLE',
      `could not tell how ${sha.slice(0, 7)} relates to what ${escapeText(node)} runs (${revision.slice(0, 7)}): ${escapeText(why)}`,
      { hint: 'the review and its decisions stay as they were; try the noop again in a moment', cause },
    );
  }
};

export interface DeltaComputation {
  commit: CommitInfo;
  fleetHash: string;
  grouped: GroupedDelta;
  deltas: NodeDelta[];
}

export interface ComputeDeps {
  repo: CodeRepo;
  fleet: FleetService;
  cache: NoopCache;
  ignored: readonly IgnoreRule[];
  /** Where the grouping runs: worker threads in the bot; inline without one. */
  offload?: Offload;
}

/**
 * Each node's delta as its noops come, then the grouping (DESIGN.md §3.4), without holding the
 * event loop: every node's subtraction is a turn of its own (Slack's requests are answered
 * between), and the grouping, one long computation, runs on `offload` when there is one.
 */
export const deltasAndGroups = async (
  inputs: Iterable<DeltaInput> | AsyncIterable<DeltaInput>,
  options: { ignored: readonly IgnoreRule[]; offload?: Offload | undefined; also?: readonly NodeDelta[] },
): Promise<{ deltas: NodeDelta[]; grouped: GroupedDelta }> => {
  const deltas: NodeDelta[] = [];
  for await (const input of inputs) {
    deltas.push(deltaForNode(input));
    await nextTurn();
  }
  deltas.push(...(options.also ?? []));
  const grouped = options.offload
    ? await options.offload.groupDeltas(deltas, { ignored: options.ignored })
    : groupDeltas(deltas, { ignored: options.ignored });
  return { deltas, grouped };
};

export interface FleetState {
  applied: Map<string, AppliedOf>;
  fleetHash: string;
}

/** Every node's applied revision, read from the nodes themselves (they are the source of truth). */
export const readFleetState = async (
  fleet: FleetService,
  nodes: readonly NodeSpec[],
): Promise<FleetState> => {
  const applied = new Map<string, AppliedOf>();
  for (const outcome of await fleet.applied(nodes)) {
    const state = outcome.ok && outcome.value.ok ? outcome.value.state : undefined;
    applied.set(outcome.node, { revision: state?.revision, dirty: state?.dirty ?? false });
  }
  const fleetHash = fleetStateHash(
    nodes.map((node) => ({
      name: node.name,
      ...(applied.get(node.name) ?? { revision: undefined, dirty: false }),
    })),
  );
  return { applied, fleetHash };
};

/**
 * What commit `sha` changes on each node (DESIGN.md §3.4): its noop minus every parent's noop.
 * A parent that is the node's applied revision is nooped like any other parent; the cache key
 * (node, commit, applied revision) makes that "the node's noop of its applied revision", so
 * standing drift is subtracted and not blamed on the commit. A node whose applied revision is on
 * another line of history (neither ancestor nor descendant of the commit) is not nooped.
 */
export const computeDelta = async (
  deps: ComputeDeps,
  sha: string,
  nodes: readonly NodeSpec[],
  /** The fleet as the caller already read it (one read per node serves a whole batch of reviews). */
  state: FleetState,
): Promise<DeltaComputation> => {
  const commit = await deps.repo.commit(sha);
  const { applied, fleetHash } = state;
  const inLineage: NodeSpec[] = [];
  const outside: string[] = [];
  for (const node of nodes) {
    const revision = applied.get(node.name)?.revision;
    const related =
      revision === undefined || revision === sha || (await lineageOf(deps.repo, revision, sha, node.name));
    if (related) inLineage.push(node);
    else outside.push(node.name);
  }
  // One revision at a time: each node has one checkout.
  const noops = [];
  for (const revision of [sha, ...commit.parents])
    noops.push(await deps.cache.noops(revision, inLineage, applied));
  const [own, ...parents] = noops;
  const inputs = inLineage.map(
    (node): DeltaInput => ({
      node: node.name,
      commit: own?.get(node.name) ?? { status: 'failed', error: 'no noop result' },
      parents: commit.parents.map((revision, index) => ({
        revision,
        applied: applied.get(node.name)?.revision === revision,
        noop: parents[index]?.get(node.name) ?? { status: 'failed', error: 'no noop result' },
      })),
    }),
  );
  const { deltas, grouped } = await deltasAndGroups(inputs, {
    ignored: deps.ignored,
    offload: deps.offload,
    also: outside.map(notInLineage),
  });
  return { commit, fleetHash, deltas, grouped };
};
