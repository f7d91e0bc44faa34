import { memoryStore } from '../changes/memory.js';
import { type HashedReport, isHashed } from '../changes/record.js';
import { type ChangeStore, createChangeStore } from '../changes/store.js';
import type { HashedNoop } from '../delta/hashed.js';
import { noopCacheKey } from '../delta/index.js';
import { type NodeSpec, type Store, systemClock } from '../ports/index.js';
import { nextTurn } from '../ports/offload.js';
import type { NormalizedReport } from '../puppet/index.js';
import type { FleetService } from '../runs/fleet-service.js';

/** What a node has applied, as the noop cache keys depend on it. */
export interface AppliedOf {
  revision: string | undefined;
  dirty: boolean;
}

export interface NoopCache {
  /**
   * Noops of `sha` on every node as change-store records, from the cache where the (node, commit,
   * applied revision) was seen before.
   */
  noops(
    sha: string,
    nodes: readonly NodeSpec[],
    applied: ReadonlyMap<string, AppliedOf>,
    /** Run Puppet again even where a noop is cached, and cache the new one (a permadiff scan observes anew). */
    options?: { fresh?: boolean },
  ): Promise<Map<string, HashedNoop>>;
  /** Where the records' change bodies are. */
  readonly changes: ChangeStore;
}

/**
 * A noop depends on the code and on what the node runs, so that is the key; a run that did not
 * reach the node or timed out is never cached (the next review tries again). A report is hashed
 * into the change store as it arrives and cached as the node's record of keys. A record stored
 * before the change store (a whole NormalizedReport) is hashed on its first read and written back.
 */
export const createNoopCache = (deps: {
  fleet: Pick<FleetService, 'runSha'>;
  store: Store<HashedReport | NormalizedReport>;
  ttlMs: number;
  /** Absent: bodies are kept in this process only (a test's or a tool's cache on its own). */
  changes?: ChangeStore;
  /**
   * Waited for after each report is hashed: 2,000 reports hashed back to back would hold the
   * event loop for seconds (the bot gives its pool's `turn`; absent: the next turn of the loop).
   */
  turn?: () => Promise<void>;
}): NoopCache => {
  const changes = deps.changes ?? createChangeStore({ store: memoryStore(), clock: systemClock });
  const turn = deps.turn ?? nextTurn;
  return {
    changes,
    async noops(sha, nodes, applied, options = {}) {
      const keyOf = (node: string) =>
        noopCacheKey({
          node,
          commit: sha,
          appliedRevision: applied.get(node)?.revision,
          dirty: applied.get(node)?.dirty,
        });
      const found = new Map<string, HashedNoop>();
      const missing: NodeSpec[] = [];
      for (const node of nodes) {
        const cached = options.fresh ? undefined : await deps.store.get(keyOf(node.name));
        if (cached === undefined) missing.push(node);
        else if (isHashed(cached)) found.set(node.name, { status: 'ok', report: cached });
        else {
          const record = await changes.ingest(cached);
          await deps.store.set(keyOf(node.name), record, deps.ttlMs);
          found.set(node.name, { status: 'ok', report: record });
          await turn();
        }
      }
      if (missing.length === 0) return found;
      for (const run of await deps.fleet.runSha(sha, missing, 'noop', 'heckler')) {
        if (!run.reached) {
          found.set(run.node, { status: run.unreachable ? 'unreachable' : 'failed', error: run.error });
          continue;
        }
        const record = await changes.ingest(run.report);
        found.set(run.node, { status: 'ok', report: record });
        if (run.report.outcome !== 'timed_out') await deps.store.set(keyOf(run.node), record, deps.ttlMs);
        await turn();
      }
      return found;
    },
  };
};
