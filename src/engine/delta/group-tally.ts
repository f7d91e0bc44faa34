import type { DeltaCounts, EvalErrorGroup, FailureGroup, ParentErrorGroup } from './group.js';
import { Buckets } from './group-index.js';
import type { DeltaKind, NodeDelta } from './subtract.js';

const COUNTED: Record<DeltaKind, keyof DeltaCounts> = {
  changes: 'changed',
  unchanged: 'unchanged',
  failed: 'failed',
  unreachable: 'unreachable',
  not_in_lineage: 'notInLineage',
  eval_error: 'evalError',
};

/**
 * Everything a grouping collects besides the changes: counts by kind, failures, evaluation and
 * parent errors, nodes not in lineage. Deltas must be added naturally ordered by node.
 */
export class Tally {
  readonly counts: DeltaCounts = {
    changed: 0,
    unchanged: 0,
    failed: 0,
    unreachable: 0,
    notInLineage: 0,
    evalError: 0,
  };
  readonly evalErrors = new Buckets<Omit<EvalErrorGroup, 'nodes'>>();
  readonly parentErrors = new Buckets<Omit<ParentErrorGroup, 'nodes'>>();
  readonly failures = new Buckets<Omit<FailureGroup, 'nodes'>>();
  readonly notInLineage: string[] = [];

  add(delta: Omit<NodeDelta, 'resources'>): void {
    const { node } = delta;
    this.counts[COUNTED[delta.kind]]++;
    if (delta.kind === 'not_in_lineage') this.notInLineage.push(node);
    if ((delta.kind === 'failed' || delta.kind === 'unreachable') && delta.error !== undefined) {
      const failure = { kind: delta.kind, error: delta.error };
      this.failures.add(JSON.stringify(failure), node, () => failure);
    }
    for (const { message, file, line } of delta.evalErrors) {
      const error = {
        message,
        ...(file === undefined ? {} : { file }),
        ...(line === undefined ? {} : { line }),
      };
      this.evalErrors.add(JSON.stringify([message, file ?? null, line ?? null]), node, () => error);
    }
    for (const { evalErrors: _, ...parent } of delta.parentErrors) {
      this.parentErrors.add(JSON.stringify(parent), node, () => parent);
    }
  }
}
