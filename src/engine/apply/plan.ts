import { buildBlockOf, buildBlockText, type CommitBuild } from '../gate/rules.js';
import type { ReviewStatus } from '../review/records.js';
import { escapeText, unescapeText } from '../text/mrkdwn.js';
import type { Blocker, PlannedNode, SkippedNode } from './records.js';

/**
 * The apply plan as pure rules (DESIGN.md §3.6): which nodes an apply of REV moves, what each
 * gains, which are skipped, and which commits block it. The planner gathers the facts (applied
 * states, git ancestry, reviews); this decides.
 */

/** How REV relates to what a node has applied. */
export type Lineage =
  /** The node runs REV. */
  | 'same'
  /** REV descends from it: a normal apply (v1 → v2, or a hotfix tag branched off v1). */
  | 'behind'
  /** It descends from REV: the node is beyond REV already. */
  | 'ahead'
  /** Neither: REV would roll back what the node has that REV lacks. */
  | 'diverged';

export interface NodeFacts {
  node: string;
  /** Its applied revision; undefined when Heckler never applied it. */
  revision?: string;
  dirty: boolean;
  /** Its applied state could not be read (unreachable, damaged file): we do not know what it runs. */
  unreadable?: string;
}

/** A commit's review as the plan needs it. */
export interface ReviewFacts {
  status: ReviewStatus;
  /** The fleet state its delta was computed on. */
  fleetHash: string;
  /** Who may approve it (every group's owners). */
  owners: string[];
  /** The standing decision's author, and a denial's reason. */
  decidedBy?: string;
  reason?: string;
  /** Nodes whose noop of the commit failed or did not answer: an approval does not cover them. */
  unreviewed?: Readonly<Record<string, string>>;
}

export interface CommitFacts {
  shortSha: string;
  subject: string;
}

export interface PlanInput {
  sha: string;
  nodes: readonly NodeFacts[];
  /** By applied revision (a full SHA); nodes never applied are always `behind`. */
  lineage: ReadonlyMap<string, Lineage>;
  /** Commits REV brings to a node on each applied revision (`''`: never applied), oldest first. */
  brings: ReadonlyMap<string, readonly string[]>;
  /** Commits a node on each revision has that REV lacks (what a rollback takes away), oldest first. */
  takesAway: ReadonlyMap<string, readonly string[]>;
  commits: ReadonlyMap<string, CommitFacts>;
  /** By commit SHA; absent: never nooped. */
  reviews: ReadonlyMap<string, ReviewFacts>;
  /** Tags and branches by SHA, for the words. */
  names: ReadonlyMap<string, readonly string[]>;
  /** The fleet state now: a review computed on another is stale. */
  fleetHash: string;
  /** An admin's `--force`: roll back nodes beyond or beside REV. */
  force: boolean;
}

export interface Rollback {
  node: string;
  from: string;
  takesAway: readonly string[];
}

export interface ApplyPlan {
  nodes: PlannedNode[];
  skipped: SkippedNode[];
  /** Every commit the apply brings to some node, oldest first. */
  commits: string[];
  blockers: Blocker[];
  /** Blockers `--force` set aside: nodes a commit's review does not cover. */
  overridden: Blocker[];
  /** Nodes REV would roll back without `--force`: the apply is refused while there are any. */
  rollbacks: Rollback[];
}

const NEVER = '';

/** `v2 (1a2b3c4)`, or the short SHA alone when nothing points at it. */
export const revisionText = (sha: string, names: readonly string[] = []): string =>
  names.length > 0 ? `${names.join(', ')} (${sha.slice(0, 7)})` : sha.slice(0, 7);

export const planApply = (input: PlanInput): ApplyPlan => {
  const plan: ApplyPlan = {
    nodes: [],
    skipped: [],
    commits: [],
    blockers: [],
    overridden: [],
    rollbacks: [],
  };
  const named = (sha: string) => revisionText(sha, input.names.get(sha));
  for (const facts of input.nodes) {
    if (facts.unreadable !== undefined) {
      plan.skipped.push({
        node: facts.node,
        why: 'unreadable',
        detail: `could not read what it runs: ${escapeText(facts.unreadable)}`,
      });
      continue;
    }
    const revision = facts.revision;
    const lineage = revision === undefined ? 'behind' : (input.lineage.get(revision) ?? 'diverged');
    const from =
      revision === undefined
        ? {}
        : { from: { sha: revision, names: [...(input.names.get(revision) ?? [])] } };
    const brings = [...(input.brings.get(revision ?? NEVER) ?? [])];
    if (lineage === 'same' && !facts.dirty) {
      plan.skipped.push({
        node: facts.node,
        why: 'at_revision',
        detail: `already at ${escapeText(named(input.sha))}`,
      });
      continue;
    }
    if ((lineage === 'ahead' || lineage === 'diverged') && revision !== undefined) {
      const takesAway = input.takesAway.get(revision) ?? [];
      if (!input.force) {
        if (lineage === 'ahead') {
          plan.skipped.push({
            node: facts.node,
            why: 'beyond',
            detail: `already beyond it, at ${escapeText(named(revision))}${facts.dirty ? ' (dirty)' : ''}`,
          });
        } else {
          plan.rollbacks.push({ node: facts.node, from: revision, takesAway });
        }
        continue;
      }
      plan.nodes.push({
        node: facts.node,
        ...from,
        dirty: facts.dirty,
        commits: brings,
        rollsBack: [...takesAway],
      });
      continue;
    }
    // Behind, never applied, or at REV but dirty (a failed apply is retried).
    plan.nodes.push({ node: facts.node, ...from, dirty: facts.dirty, commits: brings });
  }
  plan.commits = unionInOrder(plan.nodes.map((node) => node.commits));
  Object.assign(plan, reviewBlockers(plan.commits, { ...input, bringing: bringingOf(plan.nodes) }));
  return plan;
};

/** Merges oldest-first lists: a commit keeps the place it first had. */
const unionInOrder = (lists: readonly (readonly string[])[]): string[] => {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const list of lists) {
    for (const sha of list) {
      if (seen.has(sha)) continue;
      seen.add(sha);
      out.push(sha);
    }
  }
  return out;
};

/** Which planned nodes each commit reaches. */
export const bringingOf = (
  nodes: readonly Pick<PlannedNode, 'node' | 'commits'>[],
): Map<string, string[]> => {
  const out = new Map<string, string[]>();
  for (const node of nodes)
    for (const sha of node.commits) out.set(sha, [...(out.get(sha) ?? []), node.node]);
  return out;
};

export interface BlockerInput extends Pick<PlanInput, 'commits' | 'reviews' | 'fleetHash'> {
  /** Planned nodes per commit they would receive; a node the commit's review does not cover blocks. */
  bringing?: ReadonlyMap<string, readonly string[]>;
  /** An admin's `--force`: nodes not reviewed are applied anyway (said on the plan, audited). */
  force?: boolean;
}

/**
 * A commit may be applied when its review is approved (or automatically approved) for the fleet
 * as it is now: the approval is bound to a delta, and the delta to the fleet state it was
 * computed on (DESIGN.md §3.4, STYLE.md 12). It covers only the nodes that produced a noop.
 */
export const blockerOf = (sha: string, input: BlockerInput): Blocker | undefined => {
  const commit = input.commits.get(sha);
  const base = {
    sha,
    shortSha: commit?.shortSha ?? sha.slice(0, 7),
    subject: commit?.subject ?? '',
    owners: [],
  };
  const review = input.reviews.get(sha);
  if (!review) return { ...base, kind: 'not_nooped' } satisfies Blocker;
  if (review.status === 'denied') {
    return {
      ...base,
      kind: 'denied',
      ...(review.decidedBy ? { by: review.decidedBy } : {}),
      ...(review.reason ? { reason: review.reason } : {}),
    } satisfies Blocker;
  }
  if (review.fleetHash !== input.fleetHash) return { ...base, kind: 'stale' } satisfies Blocker;
  if (review.status === 'pending')
    return { ...base, kind: 'pending', owners: review.owners } satisfies Blocker;
  const unreviewed = (input.bringing?.get(sha) ?? []).flatMap((node) => {
    const why = review.unreviewed?.[node];
    return why === undefined ? [] : [{ node, why }];
  });
  if (unreviewed.length > 0) return { ...base, kind: 'not_reviewed', nodes: unreviewed } satisfies Blocker;
  return undefined;
};

/** The blockers of the commits an apply brings; with `--force`, unreviewed nodes are set aside, not blocking. */
export const reviewBlockers = (
  shas: readonly string[],
  input: BlockerInput,
): { blockers: Blocker[]; overridden: Blocker[] } => {
  const blockers: Blocker[] = [];
  const overridden: Blocker[] = [];
  for (const sha of shas) {
    const blocker = blockerOf(sha, input);
    if (blocker === undefined) continue;
    if (blocker.kind === 'not_reviewed' && input.force) overridden.push(blocker);
    else blockers.push(blocker);
  }
  return { blockers, overridden };
};

export const blockersOf = (shas: readonly string[], input: BlockerInput): Blocker[] =>
  reviewBlockers(shas, input).blockers;

export interface BuildBlockerInput extends Pick<PlanInput, 'commits'> {
  /** Each commit's own build (absent: never queued). */
  builds: ReadonlyMap<string, CommitBuild | undefined>;
  /** An admin's `--force`: commits whose build did not pass are applied anyway (said on the plan, audited). */
  force?: boolean;
}

/**
 * apply.requireBuild (issue 12): a commit the apply brings whose own build has not passed blocks
 * it (failed, still running or queued, nothing to build, never built); `--force` sets it aside.
 */
export const buildBlockers = (
  shas: readonly string[],
  input: BuildBlockerInput,
): { blockers: Blocker[]; overridden: Blocker[] } => {
  const blockers: Blocker[] = [];
  const overridden: Blocker[] = [];
  for (const sha of shas) {
    const build = buildBlockOf(input.builds.get(sha));
    if (!build) continue;
    const commit = input.commits.get(sha);
    const blocker: Blocker = {
      sha,
      shortSha: commit?.shortSha ?? sha.slice(0, 7),
      subject: commit?.subject ?? '',
      owners: [],
      kind: 'build',
      build,
    };
    (input.force ? overridden : blockers).push(blocker);
  }
  return { blockers, overridden };
};

/** Why a confirmed `--force` went past a blocker, for its `apply_forced` audit entry (plain text). */
export const forcedReason = (apply: number, blocker: Blocker, buildRepo: string): string =>
  blocker.kind === 'build' && blocker.build
    ? `apply #${apply} past its build: ${unescapeText(buildBlockText(blocker.build, { shortSha: blocker.shortSha, repo: buildRepo }))}`
    : `apply #${apply} to ${(blocker.nodes ?? []).map((n) => `${n.node} (${n.why})`).join(', ')}, not reviewed there`;
