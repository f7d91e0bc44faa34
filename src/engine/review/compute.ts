import type { StoredChange } from '../changes/hash.js';
import type { ChangeStore } from '../changes/store.js';
import { groupHashed } from '../delta/group-hashed.js';
import {
  type HashedDelta,
  type HashedDeltaInput,
  hashedDeltaForNode,
  hashedNotInLineage,
  keysNamed,
} from '../delta/hashed.js';
import {
  type DeltaInput,
  deltaForNode,
  fleetStateHash,
  type GroupedDelta,
  groupDeltas,
  type IgnoreRule,
  type NodeDelta,
} from '../delta/index.js';
import { HecklerError } from '../errors.js';
import type { CodeRepo, CommitInfo, NodeSpec } from '../ports/index.js';
import { type Offload, turnOf } from '../ports/offload.js';
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
  /** Each node's delta as keys into the change store (`grouped` has the bodies of its groups). */
  deltas: HashedDelta[];
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
  const turn = turnOf(options.offload);
  for await (const input of inputs) {
    deltas.push(deltaForNode(input));
    await turn();
  }
  deltas.push(...(options.also ?? []));
  const grouped = options.offload
    ? await options.offload.groupDeltas(deltas, { ignored: options.ignored })
    : groupDeltas(deltas, { ignored: options.ignored });
  return { deltas, grouped };
};

/**
 * Each node's delta over its records. On the offload when it has `hashedDeltas` (the set
 * arithmetic of 2,000 nodes is most of a review's work); else here, a turn each. Either way the
 * inputs are read a turn per node: reading them parses the records.
 */
const hashedDeltas = async (
  inputs: Iterable<HashedDeltaInput>,
  offload: Offload | undefined,
): Promise<HashedDelta[]> => {
  const turn = turnOf(offload);
  if (offload?.hashedDeltas) {
    const read: HashedDeltaInput[] = [];
    for (const input of inputs) {
      read.push(input);
      await turn();
    }
    return offload.hashedDeltas(read);
  }
  const deltas: HashedDelta[] = [];
  for (const input of inputs) {
    deltas.push(hashedDeltaForNode(input));
    await turn();
  }
  return deltas;
};

/**
 * `deltasAndGroups` over the change store's records: each node's delta is set arithmetic on keys
 * (a turn each), then only the bodies of the keys left are read, and the grouping runs on
 * `offload`. Keys whose bodies the store no longer has are returned in `lost` with no grouping:
 * the caller noops those nodes again.
 */
export const hashedDeltasAndGroups = async (
  inputs: Iterable<HashedDeltaInput>,
  options: {
    ignored: readonly IgnoreRule[];
    changes: ChangeStore;
    offload?: Offload | undefined;
    also?: readonly HashedDelta[];
  },
): Promise<
  | { deltas: HashedDelta[]; grouped: GroupedDelta; lost?: undefined }
  | { deltas: HashedDelta[]; lost: Set<string> }
> => {
  const deltas = await hashedDeltas(inputs, options.offload);
  deltas.push(...(options.also ?? []));
  const keys = keysNamed(deltas);
  const bodies: Map<string, StoredChange> = await options.changes.bodies(keys);
  if (bodies.size < keys.size) return { deltas, lost: new Set([...keys].filter((key) => !bodies.has(key))) };
  const grouped = options.offload
    ? await options.offload.groupHashed(deltas, bodies, { ignored: options.ignored })
    : groupHashed(deltas, bodies, { ignored: options.ignored });
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
  // A record whose bodies the store lost (evicted, expired) is a miss: those nodes are nooped again.
  let fresh: NodeSpec[] = [];
  for (let attempt = 0; ; attempt++) {
    const inputs = await hashedInputs(deps.cache, sha, commit.parents, inLineage, applied, fresh);
    const result = await hashedDeltasAndGroups(inputs, {
      ignored: deps.ignored,
      changes: deps.cache.changes,
      offload: deps.offload,
      also: outside.map(hashedNotInLineage),
    });
    if (result.lost === undefined)
      return { commit, fleetHash, deltas: result.deltas, grouped: result.grouped };
    const lost = result.lost;
    const named = new Set(
      result.deltas.filter((d) => d.keys.some((key) => lost.has(key))).map((d) => d.node),
    );
    if (attempt > 0 || named.size === 0)
      throw new HecklerError(
        'STORE_UNAVAILABLE',
        `the change store lost ${lost.size} change(s) it had just stored`,
        {
          hint: 'check the store (Redis memory limits evict keys); the review is tried again at the next poll',
        },
      );
    fresh = inLineage.filter((node) => named.has(node.name));
  }
};

/** The delta inputs of `sha` on each node, the noops of `refresh` run again. One revision at a time: each node has one checkout. */
const hashedInputs = async (
  cache: NoopCache,
  sha: string,
  parentShas: readonly string[],
  inLineage: readonly NodeSpec[],
  applied: ReadonlyMap<string, AppliedOf>,
  refresh: readonly NodeSpec[],
): Promise<HashedDeltaInput[]> => {
  const noops = [];
  for (const revision of [sha, ...parentShas]) {
    const cached = await cache.noops(revision, inLineage, applied);
    if (refresh.length > 0)
      for (const [node, noop] of await cache.noops(revision, refresh, applied, { fresh: true }))
        cached.set(node, noop);
    noops.push(cached);
  }
  const [own, ...parents] = noops;
  return inLineage.map(
    (node): HashedDeltaInput => ({
      node: node.name,
      commit: own?.get(node.name) ?? { status: 'failed', error: 'no noop result' },
      parents: parentShas.map((revision, index) => ({
        revision,
        applied: applied.get(node.name)?.revision === revision,
        noop: parents[index]?.get(node.name) ?? { status: 'failed', error: 'no noop result' },
      })),
    }),
  );
};
