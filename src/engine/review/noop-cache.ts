import { type NodeNoop, noopCacheKey } from '../delta/index.js';
import type { NodeSpec, Store } from '../ports/index.js';
import type { NormalizedReport } from '../puppet/index.js';
import type { FleetService } from '../runs/fleet-service.js';

/** What a node has applied, as the noop cache keys depend on it. */
export interface AppliedOf {
  revision: string | undefined;
  dirty: boolean;
}

export interface NoopCache {
  /** Noops of `sha` on every node, from the cache where the (node, commit, applied revision) was seen before. */
  noops(
    sha: string,
    nodes: readonly NodeSpec[],
    applied: ReadonlyMap<string, AppliedOf>,
    /** Run Puppet again even where a noop is cached, and cache the new one (a permadiff scan observes anew). */
    options?: { fresh?: boolean },
  ): Promise<Map<string, NodeNoop>>;
}

/**
 * A noop depends on the code and on what the node runs, so that is the key; a run that did not
 * reach the node or timed out is never cached (the next review tries again).
 */
export const createNoopCache = (deps: {
  fleet: Pick<FleetService, 'runSha'>;
  store: Store<NormalizedReport>;
  ttlMs: number;
}): NoopCache => ({
  async noops(sha, nodes, applied, options = {}) {
    const keyOf = (node: string) =>
      noopCacheKey({
        node,
        commit: sha,
        appliedRevision: applied.get(node)?.revision,
        dirty: applied.get(node)?.dirty,
      });
    const found = new Map<string, NodeNoop>();
    const missing: NodeSpec[] = [];
    for (const node of nodes) {
      const cached = options.fresh ? undefined : await deps.store.get(keyOf(node.name));
      if (cached) found.set(node.name, { status: 'ok', report: cached });
      else missing.push(node);
    }
    if (missing.length === 0) return found;
    for (const run of await deps.fleet.runSha(sha, missing, 'noop', 'heckler')) {
      if (!run.reached) {
        found.set(run.node, { status: run.unreachable ? 'unreachable' : 'failed', error: run.error });
        continue;
      }
      found.set(run.node, { status: 'ok', report: run.report });
      if (run.report.outcome !== 'timed_out') await deps.store.set(keyOf(run.node), run.report, deps.ttlMs);
    }
    return found;
  },
});
