import { fleetStateHash } from '../delta/index.js';
import type { CommitBuild } from '../gate/rules.js';
import type { CodeRepo, CommitInfo, NodeSpec } from '../ports/index.js';
import type { ReviewService } from '../review/service.js';
import type { FleetService } from '../runs/fleet-service.js';
import {
  type ApplyPlan,
  bringingOf,
  buildBlockers,
  type CommitFacts,
  type Lineage,
  type NodeFacts,
  planApply,
  type ReviewFacts,
  reviewBlockers,
} from './plan.js';
import { reviewFacts } from './review-facts.js';

export interface PlannerDeps {
  repo: CodeRepo;
  fleet: FleetService;
  reviews: Pick<ReviewService, 'get'>;
  /** `requireBuild`: each commit brought needs a passed build of its own. */
  settings?: { requireBuild?: boolean | undefined };
  /** Each commit's own build (the build gate); absent with requireBuild: every commit is unbuilt. */
  builds?: { facts(sha: string): Promise<CommitBuild | undefined> };
}

/** What a plan needs besides the decisions: the commits and names it talks about. */
export interface GatheredPlan {
  plan: ApplyPlan;
  fleetHash: string;
  commits: Map<string, CommitInfo>;
  names: Map<string, string[]>;
  reviews: Map<string, ReviewFacts>;
}

/** Every node's applied state, and the fleet hash exactly as reviews compute it (compute.ts). */
export const readFleet = async (fleet: FleetService) => {
  const all = fleet.nodes();
  const facts = new Map<string, NodeFacts>();
  for (const outcome of await fleet.applied(all)) {
    if (!outcome.ok)
      facts.set(outcome.node, { node: outcome.node, dirty: false, unreadable: String(outcome.error) });
    else if (!outcome.value.ok)
      facts.set(outcome.node, { node: outcome.node, dirty: false, unreadable: outcome.value.error });
    else {
      const state = outcome.value.state;
      facts.set(outcome.node, {
        node: outcome.node,
        dirty: state?.dirty ?? false,
        ...(state ? { revision: state.revision } : {}),
      });
    }
  }
  const fleetHash = fleetStateHash(
    all.map((node) => {
      const known = facts.get(node.name);
      return {
        name: node.name,
        revision: known?.unreadable ? undefined : known?.revision,
        dirty: known?.dirty ?? false,
      };
    }),
  );
  return { facts, fleetHash };
};

const lineageOf = async (repo: CodeRepo, revision: string, sha: string): Promise<Lineage> => {
  if (revision === sha) return 'same';
  if (await repo.isAncestor(revision, sha)) return 'behind';
  if (await repo.isAncestor(sha, revision)) return 'ahead';
  return 'diverged';
};

/** Reads the fleet, git ancestry and reviews for an apply of `sha` to `targets`, and plans it. */
export const gatherPlan = async (
  deps: PlannerDeps,
  options: { sha: string; targets: readonly NodeSpec[]; force: boolean },
): Promise<GatheredPlan> => {
  const { repo } = deps;
  const { sha } = options;
  const { facts, fleetHash } = await readFleet(deps.fleet);
  const nodes: NodeFacts[] = options.targets.map(
    (target) => facts.get(target.name) ?? { node: target.name, dirty: false, unreadable: 'not read' },
  );
  const lineage = new Map<string, Lineage>();
  const brings = new Map<string, string[]>();
  const takesAway = new Map<string, string[]>();
  const commits = new Map<string, CommitInfo>();
  const remember = (list: CommitInfo[]) => {
    for (const commit of list) commits.set(commit.sha, commit);
    return list.map((commit) => commit.sha);
  };
  const seen = new Set<string>();
  for (const [index, node] of nodes.entries()) {
    const revision = node.revision;
    if (node.unreadable !== undefined || seen.has(revision ?? '')) continue;
    seen.add(revision ?? '');
    if (revision === undefined) {
      brings.set('', remember(await repo.commitsBetween(undefined, sha)));
      continue;
    }
    try {
      const relation = await lineageOf(repo, revision, sha);
      lineage.set(revision, relation);
      if (relation === 'behind' || relation === 'diverged')
        brings.set(revision, remember(await repo.commitsBetween(revision, sha)));
      if (relation === 'ahead' || relation === 'diverged')
        takesAway.set(revision, remember(await repo.commitsBetween(sha, revision)));
    } catch {
      // A revision the mirror lacks (applied by hand from elsewhere): what REV does to it is unknown.
      seen.delete(revision);
      nodes[index] = {
        ...node,
        unreadable: `its applied revision ${revision.slice(0, 7)} is not in the repository`,
      };
    }
  }
  const names = new Map<string, string[]>();
  for (const revision of new Set([sha, ...lineage.keys()])) {
    const at = await repo.namesAt(revision).catch(() => ({ tags: [], branches: [] }));
    names.set(revision, [...at.tags, ...at.branches]);
  }
  const commitFacts = new Map<string, CommitFacts>(
    [...commits.values()].map((commit) => [
      commit.sha,
      { shortSha: commit.shortSha, subject: commit.subject },
    ]),
  );
  const plan = planApply({
    sha,
    nodes,
    lineage,
    brings,
    takesAway,
    commits: commitFacts,
    reviews: new Map(),
    names,
    fleetHash,
    force: options.force,
  });
  // Reviews only of the commits the plan brings (a never-applied node may bring a long history).
  const reviews = new Map<string, ReviewFacts>();
  for (const commit of plan.commits) {
    const record = await deps.reviews.get(commit);
    if (record) reviews.set(commit, reviewFacts(record));
  }
  const reviewed = reviewBlockers(plan.commits, {
    commits: commitFacts,
    reviews,
    fleetHash,
    bringing: bringingOf(plan.nodes),
    force: options.force,
  });
  const built = deps.settings?.requireBuild
    ? buildBlockers(plan.commits, {
        commits: commitFacts,
        builds: await buildsOf(deps, plan.commits),
        force: options.force,
      })
    : { blockers: [], overridden: [] };
  plan.blockers = [...reviewed.blockers, ...built.blockers];
  plan.overridden = [...reviewed.overridden, ...built.overridden];
  return { plan, fleetHash, commits, names, reviews };
};

/** The builds of the commits brought; without a gate none is known, so every one is unbuilt. */
const buildsOf = async (deps: PlannerDeps, shas: readonly string[]) => {
  const out = new Map<string, CommitBuild | undefined>();
  for (const sha of shas)
    out.set(
      sha,
      deps.builds
        ? await deps.builds.facts(sha)
        : { kind: 'not_built', why: 'repo.build is off in heckler.yml, so no commit is built' },
    );
  return out;
};
