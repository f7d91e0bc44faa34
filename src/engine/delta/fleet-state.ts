import { compareText, sha256 } from './change-key.js';

/** What a node has applied, as far as noops depend on it. */
export interface NodeState {
  name: string;
  /** Undefined: the node never had an apply (or we could not read it). */
  revision?: string;
  /** A failed apply left it part-way. */
  dirty: boolean;
}

/**
 * The fleet state a stored delta was computed against (DESIGN.md §3.4): when any node's applied
 * revision or dirty flag changes, or a node joins or leaves, the hash changes and pending deltas
 * are re-nooped. The order nodes are listed in does not matter.
 */
export const fleetStateHash = (nodes: readonly NodeState[]): string =>
  sha256(
    JSON.stringify(
      nodes
        .map((node) => [node.name, node.revision ?? null, node.dirty] as const)
        .sort((a, b) => compareText(a[0], b[0]) || compareText(String(a[1]), String(b[1]))),
    ),
  );

/**
 * Where a noop of `commit` on `node` is cached: it depends on the code (the commit) and on what
 * the node already has (its applied revision). The dirty flag is in too — a node left part-way by
 * a failed apply noops differently from the same revision applied cleanly, and the fleet hash
 * already treats the two as different states. Options, not positions: three SHAs-or-names in a
 * row are too easy to swap.
 */
export const noopCacheKey = (key: {
  node: string;
  commit: string;
  appliedRevision: string | undefined;
  dirty?: boolean;
}): string => `noop/${key.node}/${key.commit}/${key.appliedRevision ?? 'none'}${key.dirty ? '+dirty' : ''}`;
