import type { EvaluationError, NormalizedReport, ResourceChange } from '../puppet/types.js';
import { sameChange } from './change-key.js';

/** One noop of one revision on one node, as the fan-out produced it (or the change store keeps it: `R`). */
export type NodeNoop<R = NormalizedReport> =
  | { status: 'ok'; report: R }
  | { status: 'unreachable' | 'failed'; error: string };

/** What subtraction reads of a report besides its changes. */
export type ReportHead = Pick<NormalizedReport, 'evalErrors' | 'outcome' | 'problem'>;

/**
 * What a parent of the commit shows on the node. The caller picks the noop: the parent commit's
 * own, or — when the parent is the node's applied revision — the node's noop of that revision
 * (so standing drift is subtracted and not blamed on the commit). `applied` only labels it.
 */
export interface ParentNoop<R = NormalizedReport> {
  revision: string;
  applied?: boolean;
  noop: NodeNoop<R>;
}

export type DeltaInput =
  | { node: string; notInLineage: true }
  | { node: string; notInLineage?: false; commit: NodeNoop; parents: readonly ParentNoop[] };

export type DeltaKind = 'changes' | 'unchanged' | 'eval_error' | 'failed' | 'unreachable' | 'not_in_lineage';

/**
 * A parent whose noop went wrong: it did not compile, failed, or the node was unreachable. Only
 * what it showed is subtracted — nothing, when it produced no catalog — so the commit shows its
 * whole noop against it: the commit that fixes a broken parent still shows what it changes, and
 * the summary must say why that is more than the commit's own change.
 */
export interface ParentError {
  revision: string;
  applied: boolean;
  kind: 'eval_error' | 'failed' | 'unreachable';
  /** The first evaluation error's message, or the failure. */
  message: string;
  evalErrors: EvaluationError[];
}

export interface NodeDelta {
  node: string;
  kind: DeltaKind;
  /** The commit's changes that no parent shows, in the report's order. */
  resources: ResourceChange[];
  /** The commit's own evaluation errors (never subtracted: a commit that stays broken says so). */
  evalErrors: EvaluationError[];
  parentErrors: ParentError[];
  /** Why the node gave no delta (`failed`, `unreachable`). */
  error?: string;
}

export type Problem =
  | { kind: 'eval_error'; evalErrors: EvaluationError[] }
  | { kind: 'failed'; error: string };

/**
 * What is wrong with a report of `changes` changes, if anything. A catalog that did not compile
 * has no resources; one whose report lacks the error text still counts as an evaluation error,
 * with what we know.
 */
export const problemOf = (report: ReportHead, changes: number): Problem | undefined => {
  if (report.evalErrors.length > 0) return { kind: 'eval_error', evalErrors: report.evalErrors };
  if (report.outcome === 'compile_error') {
    return { kind: 'eval_error', evalErrors: [{ message: report.problem ?? 'the catalog did not compile' }] };
  }
  if (report.outcome === 'timed_out') return { kind: 'failed', error: report.problem ?? 'puppet timed out' };
  // A failed run with resources is still a noop worth subtracting (failed resources are changes).
  if (report.outcome === 'failed' && changes === 0) {
    return { kind: 'failed', error: report.problem ?? 'puppet failed without saying why' };
  }
  return undefined;
};

export const parentError = <R extends ReportHead>(
  parent: ParentNoop<R>,
  count: (report: R) => number,
): ParentError | undefined => {
  const base = { revision: parent.revision, applied: parent.applied ?? false };
  const { noop } = parent;
  if (noop.status !== 'ok') return { ...base, kind: noop.status, message: noop.error, evalErrors: [] };
  const problem = problemOf(noop.report, count(noop.report));
  if (problem === undefined) return undefined;
  return problem.kind === 'eval_error'
    ? {
        ...base,
        kind: 'eval_error',
        message: problem.evalErrors[0]?.message ?? '',
        evalErrors: problem.evalErrors,
      }
    : { ...base, kind: 'failed', message: problem.error, evalErrors: [] };
};

/**
 * Parent changes by title: resource titles are unique per type in a catalog, so a lookup finds the
 * one (rarely two) candidates and `sameChange` decides — no text built, no hash, for the ~90% that
 * match. One resource is stored bare, an array only when a title repeats: a million little arrays
 * were a measurable part of the benchmark.
 */
const indexParents = (parents: readonly ParentNoop[]): Map<string, ResourceChange | ResourceChange[]> => {
  const byTitle = new Map<string, ResourceChange | ResourceChange[]>();
  for (const parent of parents) {
    if (parent.noop.status !== 'ok') continue;
    for (const resource of parent.noop.report.resources) {
      const found = byTitle.get(resource.title);
      if (found === undefined) byTitle.set(resource.title, resource);
      else if (Array.isArray(found)) found.push(resource);
      else byTitle.set(resource.title, [found, resource]);
    }
  }
  return byTitle;
};

const shown = (index: Map<string, ResourceChange | ResourceChange[]>, resource: ResourceChange): boolean => {
  const found = index.get(resource.title);
  if (found === undefined) return false;
  if (!Array.isArray(found)) return sameChange(found, resource);
  return found.some((candidate) => sameChange(candidate, resource));
};

/** The commit's changes no parent shows (all parents, for a merge). */
export const subtractParents = (
  resources: readonly ResourceChange[],
  parents: readonly ParentNoop[],
): ResourceChange[] => {
  if (parents.length === 0) return [...resources];
  const index = indexParents(parents);
  return resources.filter((resource) => !shown(index, resource));
};

const countResources = (report: NormalizedReport) => report.resources.length;

/**
 * The delta noop of one commit on one node (DESIGN.md §3.4). A parent that produced no report (or
 * no catalog) has nothing to subtract: the whole noop is shown and `parentErrors` says why.
 */
export const deltaForNode = (input: DeltaInput): NodeDelta => {
  const { node } = input;
  const empty = { node, resources: [], evalErrors: [], parentErrors: [] };
  if (input.notInLineage === true) return { ...empty, kind: 'not_in_lineage' };
  const parentErrors = input.parents.flatMap((parent) => parentError(parent, countResources) ?? []);
  const { commit } = input;
  if (commit.status !== 'ok') return { ...empty, parentErrors, kind: commit.status, error: commit.error };
  const problem = problemOf(commit.report, commit.report.resources.length);
  if (problem?.kind === 'failed') return { ...empty, parentErrors, kind: 'failed', error: problem.error };
  const resources = subtractParents(commit.report.resources, input.parents);
  if (problem?.kind === 'eval_error') {
    return { node, kind: 'eval_error', resources, evalErrors: problem.evalErrors, parentErrors };
  }
  return {
    node,
    kind: resources.length > 0 ? 'changes' : 'unchanged',
    resources,
    evalErrors: [],
    parentErrors,
  };
};

/** For a node whose applied revision is on another line of history (a sibling branch): reported, not nooped. */
export const notInLineage = (node: string): NodeDelta => deltaForNode({ node, notInLineage: true });
