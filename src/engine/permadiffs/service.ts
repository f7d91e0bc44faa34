import type { StoredChange } from '../changes/hash.js';
import { groupHashed } from '../delta/group-hashed.js';
import { type HashedDelta, hashedDeltaForNode } from '../delta/hashed.js';
import { HecklerError } from '../errors.js';
import type { Clock, CodeRepo, Logger, NodeSpec, Store } from '../ports/index.js';
import type { Offload } from '../ports/offload.js';
import type { AppliedOf, NoopCache } from '../review/noop-cache.js';
import type { FleetService } from '../runs/fleet-service.js';
import { escapeText } from '../text/mrkdwn.js';
import type { DigestService } from './digest-service.js';
import { normalizedDelta } from './normalize-hashed.js';
import { type OwnerSettings, ownersAtRevisions } from './owners.js';
import {
  advance,
  type LegacyPermadiffGroup,
  type Observation,
  type PermadiffGroup,
  upgradeGroup,
} from './state.js';

/** Why a node's drift is not known: never counted as a permadiff, never resolving one. */
export interface NotScanned {
  node: string;
  reason: 'dirty' | 'never applied' | 'does not compile' | 'failed' | 'unreachable';
  /** Literal text (views escape it). */
  detail?: string;
}

export interface ScanSummary {
  /** Epoch milliseconds, when it ended. */
  at: number;
  startedAt: number;
  by: string;
  scanned: string[];
  notScanned: NotScanned[];
}

export interface PermadiffState {
  groups: PermadiffGroup[];
  lastScan?: ScanSummary;
  minRuns: number;
}

export interface PermadiffService {
  /** Noops the nodes (all by default) at their applied revisions and stores what changed; LOCK_HELD while one runs. */
  scan(options: { nodes?: readonly NodeSpec[]; by: string }): Promise<ScanSummary>;
  /** The schedule's tick: a scan, or a log line when the previous one is still running. */
  scheduled(): Promise<void>;
  current(): Promise<PermadiffState>;
  /** The digest of this state (`/heckler digest`, the digest schedule), when the bot composes one. */
  readonly digest?: DigestService;
}

export interface PermadiffDeps {
  repo: CodeRepo;
  fleet: FleetService;
  /** The reviews' noop cache: a scan refreshes it, so reviews right after a scan cost nothing. */
  cache: NoopCache;
  groups: Store<PermadiffGroup | LegacyPermadiffGroup>;
  scans: Store<ScanSummary>;
  minRuns: number;
  owners: OwnerSettings;
  clock: Clock;
  logger: Logger;
  /** Where the fleet-wide grouping runs, off the thread that answers chat (inline without it). */
  offload?: Offload;
}

/** Resolved groups are kept this long (for "resolved since", digests), then the store forgets them. */
const RESOLVED_TTL_MS = 30 * 86_400_000;
const LAST = 'last';

export const createPermadiffService = (deps: PermadiffDeps): PermadiffService => {
  let running: { startedAt: number; by: string } | undefined;

  const scanNodes = async (nodes: readonly NodeSpec[]) => {
    const notScanned: NotScanned[] = [];
    const revisionOf = new Map<string, string>();
    for (const outcome of await deps.fleet.applied(nodes)) {
      const { node } = outcome;
      if (!outcome.ok) notScanned.push({ node, reason: 'unreachable', detail: String(outcome.error) });
      else if (!outcome.value.ok)
        notScanned.push({
          node,
          reason: outcome.value.result.status === 'unreachable' ? 'unreachable' : 'failed',
          detail: `could not read what it runs: ${outcome.value.error}`,
        });
      else if (outcome.value.state === undefined) notScanned.push({ node, reason: 'never applied' });
      else if (outcome.value.state.dirty)
        notScanned.push({ node, reason: 'dirty', detail: 'its last apply failed; apply it again' });
      else revisionOf.set(node, outcome.value.state.revision);
    }
    const byRevision = new Map<string, NodeSpec[]>();
    for (const node of nodes) {
      const revision = revisionOf.get(node.name);
      if (revision !== undefined) byRevision.set(revision, [...(byRevision.get(revision) ?? []), node]);
    }
    const applied = new Map<string, AppliedOf>(
      [...revisionOf].map(([node, revision]) => [node, { revision, dirty: false }]),
    );
    const deltas: HashedDelta[] = [];
    const scanned: string[] = [];
    const bodies = new Map<string, StoredChange>();
    // One revision at a time, as reviews do: each node has one checkout.
    for (const [revision, onRevision] of byRevision) {
      // Each scan is an observation of its own: a cached noop would count one observation twice
      // and never see drift that came after it. The fresh noops refresh the cache reviews use.
      const noops = await deps.cache.noops(revision, onRevision, applied, { fresh: true });
      for (const node of onRevision) {
        const delta = hashedDeltaForNode({
          node: node.name,
          commit: noops.get(node.name) ?? { status: 'failed', error: 'no noop result' },
          parents: [],
        });
        if (delta.kind === 'changes' || delta.kind === 'unchanged') {
          scanned.push(node.name);
          deltas.push(await normalizedDelta(deps.cache.changes, delta, node, bodies));
        } else if (delta.kind === 'eval_error')
          notScanned.push({
            node: node.name,
            reason: 'does not compile',
            detail: delta.evalErrors[0]?.message,
          });
        else
          notScanned.push({
            node: node.name,
            reason: delta.kind === 'unreachable' ? 'unreachable' : 'failed',
            ...(delta.error === undefined ? {} : { detail: delta.error }),
          });
      }
    }
    const { groups } = deps.offload
      ? await deps.offload.groupHashed(deltas, bodies, { ignored: [] })
      : groupHashed(deltas, bodies, { ignored: [] });
    const owners = await ownersAtRevisions(deps.repo, groups, revisionOf, nodes, deps.owners);
    const observed: Observation[] = groups.map((group) => ({
      hash: group.hash,
      resource: group.resource,
      sources: group.sources,
      nodes: group.nodes,
      owners: owners.get(group.hash) ?? [],
    }));
    return { scanned, notScanned, observed };
  };

  const readGroups = async () => {
    const groups = new Map<string, PermadiffGroup>();
    // Stores written before streaks were arrays still hold an object per node: read as arrays.
    for await (const [hash, group] of deps.groups.entries()) groups.set(hash, upgradeGroup(group));
    return groups;
  };

  const service: PermadiffService = {
    async scan({ nodes = deps.fleet.nodes(), by }) {
      if (running)
        throw new HecklerError(
          'LOCK_HELD',
          `a permadiff scan is already running (started by ${escapeText(running.by)} at ${new Date(running.startedAt).toISOString()})`,
          { hint: 'wait for it: `/heckler permadiffs` shows its result when it ends' },
        );
      const startedAt = deps.clock.now();
      running = { startedAt, by };
      try {
        await deps.repo.fetch().catch((error: unknown) => {
          // Nodes run commits the mirror already has unless another bot applied them; those fail per node.
          deps.logger.warn({ err: error }, 'permadiff scan: could not fetch the repository');
        });
        const { scanned, notScanned, observed } = await scanNodes(nodes);
        const at = deps.clock.now();
        const previous = await readGroups();
        const next = advance(previous, { at, scanned: new Set(scanned), observed }, deps.minRuns);
        for (const [hash, group] of next.groups)
          if (previous.get(hash) !== group)
            await deps.groups.set(hash, group, group.resolvedAt === undefined ? undefined : RESOLVED_TTL_MS);
        for (const hash of next.dropped) await deps.groups.delete(hash);
        const summary: ScanSummary = { at, startedAt, by, scanned, notScanned };
        await deps.scans.set(LAST, summary);
        deps.logger.info(
          {
            scanned: scanned.length,
            notScanned: notScanned.length,
            observed: observed.length,
            ms: at - startedAt,
          },
          'permadiff scan finished',
        );
        return summary;
      } finally {
        running = undefined;
      }
    },
    async scheduled() {
      if (running) {
        deps.logger.warn(running, 'permadiff scan skipped: the previous one is still running');
        return;
      }
      await service.scan({ by: 'schedule' });
    },
    async current() {
      const lastScan = await deps.scans.get(LAST);
      return {
        groups: [...(await readGroups()).values()],
        ...(lastScan === undefined ? {} : { lastScan }),
        minRuns: deps.minRuns,
      };
    },
  };
  return service;
};
