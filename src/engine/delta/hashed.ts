import { KEY_CHARS } from '../changes/hash.js';
import { changeCount, type HashedReport, type Where, whereAt } from '../changes/record.js';
import type { NodeDelta, NodeNoop, ParentNoop } from './subtract.js';
import { parentError, problemOf } from './subtract.js';

/**
 * The delta noop (DESIGN.md §3.4) over the change store's records: the same rules as
 * `deltaForNode`, with subtraction as set arithmetic on change keys. A key is the hash of the
 * change's identity (file and line left out), so "a parent shows the same change" is exactly
 * "a parent lists the same key", and a resource that only moved is subtracted as before.
 */

export type HashedNoop = NodeNoop<HashedReport>;
export type HashedParent = ParentNoop<HashedReport>;

export type HashedDeltaInput =
  | { node: string; notInLineage: true }
  | { node: string; notInLineage?: false; commit: HashedNoop; parents: readonly HashedParent[] };

/** `NodeDelta` with keys for resources: the changes no parent shows, and where each is declared. */
export interface HashedDelta extends Omit<NodeDelta, 'resources'> {
  /** Keys of the commit's changes that no parent shows, in the report's order. */
  keys: string[];
  /** Where each of them is declared on this node (same order). */
  where: Where[];
}

const keysOf = (record: HashedReport, into: Set<string>) => {
  const { keys } = record;
  for (let at = 0; at < keys.length; at += KEY_CHARS) into.add(keys.slice(at, at + KEY_CHARS));
};

/** The commit's changes no parent shows (all parents, for a merge), as keys with their places. */
export const subtractKeys = (
  commit: HashedReport,
  parents: readonly HashedParent[],
): { keys: string[]; where: Where[] } => {
  const shown = new Set<string>();
  for (const parent of parents) if (parent.noop.status === 'ok') keysOf(parent.noop.report, shown);
  const keys: string[] = [];
  const where: Where[] = [];
  const { keys: all } = commit;
  for (let at = 0, k = 0; at < all.length; at += KEY_CHARS, k++) {
    const key = all.slice(at, at + KEY_CHARS);
    if (shown.has(key)) continue;
    keys.push(key);
    where.push(whereAt(commit, k));
  }
  return { keys, where };
};

/** `deltaForNode` over records: the same kinds, errors and parent errors, keys for resources. */
export const hashedDeltaForNode = (input: HashedDeltaInput): HashedDelta => {
  const { node } = input;
  const empty = { node, keys: [], where: [], evalErrors: [], parentErrors: [] };
  if (input.notInLineage === true) return { ...empty, kind: 'not_in_lineage' };
  const parentErrors = input.parents.flatMap((parent) => parentError(parent, changeCount) ?? []);
  const { commit } = input;
  if (commit.status !== 'ok') return { ...empty, parentErrors, kind: commit.status, error: commit.error };
  const problem = problemOf(commit.report, changeCount(commit.report));
  if (problem?.kind === 'failed') return { ...empty, parentErrors, kind: 'failed', error: problem.error };
  const { keys, where } = subtractKeys(commit.report, input.parents);
  if (problem?.kind === 'eval_error') {
    return { node, kind: 'eval_error', keys, where, evalErrors: problem.evalErrors, parentErrors };
  }
  return {
    node,
    kind: keys.length > 0 ? 'changes' : 'unchanged',
    keys,
    where,
    evalErrors: [],
    parentErrors,
  };
};

/** For a node on another line of history: reported, not nooped. */
export const hashedNotInLineage = (node: string): HashedDelta =>
  hashedDeltaForNode({ node, notInLineage: true });

/** Every key the deltas name, once: the bodies a grouping of them reads. */
export const keysNamed = (deltas: readonly HashedDelta[]): Set<string> => {
  const keys = new Set<string>();
  for (const delta of deltas) for (const key of delta.keys) keys.add(key);
  return keys;
};
