import type { Logger } from '../ports/logger.js';
import type { CommitInfo } from '../ports/repo.js';
import type { Store } from '../ports/store.js';
import { buildsFor, describeTarget, PIPELINE_FILE, readPipelineFile, type Target } from './commits.js';
import { branchAllowed, isSkipCi } from './pipeline.js';
import type { BuildRecord, NewBuild } from './records.js';
import { type RepoMirror, repoAllows, type WatchedRepo } from './watch.js';

/** Branch tips seen at the last poll of one repository. */
export interface RepoTips {
  branches: Record<string, string>;
  at: number;
}

/** After a long outage, only the newest commits of a branch are built, not its whole backlog. */
export const MAX_COMMITS_PER_BRANCH = 20;

export interface PollDeps {
  tips: Store<RepoTips>;
  now(): number;
  logger: Logger;
  enqueue(build: NewBuild): Promise<BuildRecord>;
  /** A pushed commit whose ocelot.yml is invalid: said in chat once, nothing built. */
  onInvalid(repo: WatchedRepo, target: Target, errors: readonly string[]): Promise<void>;
}

export interface PollReport {
  repo: string;
  /** First poll: the tips were only recorded. */
  first: boolean;
  built: number[];
  /** Commits not built, and why (`[skip ci]`, no ocelot.yml, invalid, branch not allowed). */
  skipped: Array<{ sha: string; branch: string; why: string }>;
}

/**
 * One repository: fetch, and build every commit that arrived on an allowed branch since the last
 * poll, oldest first. The first poll of a repository records the tips and builds nothing, so
 * watching a busy repository does not start a build storm.
 */
export const pollRepo = async (
  deps: PollDeps,
  repo: WatchedRepo,
  mirror: RepoMirror,
): Promise<PollReport> => {
  const log = deps.logger.child({ repo: repo.name });
  const report: PollReport = { repo: repo.name, first: false, built: [], skipped: [] };
  await mirror.fetch();
  const heads = Object.fromEntries(
    Object.entries(await mirror.branches()).filter(([branch]) => repoAllows(repo, branch)),
  );
  const seen = await deps.tips.get(repo.name);
  if (!seen) {
    await deps.tips.set(repo.name, { branches: heads, at: deps.now() });
    log.info({ branches: Object.keys(heads).length }, 'first poll: branch tips recorded, nothing built');
    return { ...report, first: true };
  }
  const tips = { ...seen.branches };
  for (const branch of Object.keys(heads).sort()) {
    const tip = heads[branch] ?? '';
    if (tips[branch] === tip) continue;
    for (const commit of await newCommits(mirror, tips[branch], tip)) {
      await buildCommit(deps, report, repo, mirror, { branch, sha: commit.sha, commit });
    }
    // Saved per branch, so a crash half-way does not build a branch's commits twice.
    tips[branch] = tip;
    await deps.tips.set(repo.name, { branches: tips, at: deps.now() });
  }
  const gone = Object.keys(tips).filter((branch) => heads[branch] === undefined);
  if (gone.length > 0) {
    for (const branch of gone) delete tips[branch];
    await deps.tips.set(repo.name, { branches: tips, at: deps.now() });
  }
  return report;
};

/** Polls one repository at a time each; a caller arriving while its poll runs shares that poll. */
export const createPoller = (deps: PollDeps, mirrorOf: (repo: WatchedRepo) => Promise<RepoMirror>) => {
  const running = new Map<string, Promise<PollReport>>();
  return (repo: WatchedRepo): Promise<PollReport> => {
    const current = running.get(repo.name);
    if (current) return current;
    const started = mirrorOf(repo)
      .then((mirror) => pollRepo(deps, repo, mirror))
      .finally(() => running.delete(repo.name));
    running.set(repo.name, started);
    return started;
  };
};

/** New on the branch, oldest first; a new branch (or a rewritten one we cannot trace) builds its tip only. */
const newCommits = async (
  mirror: RepoMirror,
  from: string | undefined,
  tip: string,
): Promise<CommitInfo[]> => {
  if (from !== undefined) {
    try {
      return (await mirror.commitsBetween(from, tip)).slice(-MAX_COMMITS_PER_BRANCH);
    } catch {
      // The old tip is gone (force push and gc): fall through to the tip alone.
    }
  }
  return [await mirror.commit(tip)];
};

const buildCommit = async (
  deps: PollDeps,
  report: PollReport,
  repo: WatchedRepo,
  mirror: RepoMirror,
  target: Target,
): Promise<void> => {
  const log = deps.logger.child({ repo: repo.name, branch: target.branch, sha: target.sha });
  const skip = (why: string) => {
    report.skipped.push({ sha: target.sha, branch: target.branch, why });
    log.info({ why }, 'push not built');
  };
  const message = `${target.commit.subject}\n${target.commit.body}`;
  if (isSkipCi(message)) return skip('[skip ci] in the commit message');
  const parsed = await readPipelineFile(mirror, target.sha);
  if (!parsed) return skip(`no ${PIPELINE_FILE}`);
  if (!parsed.ok) {
    skip(`${PIPELINE_FILE} is invalid`);
    await deps.onInvalid(repo, target, parsed.errors);
    return;
  }
  const pipelines = parsed.pipelines.filter((pipeline) => branchAllowed(pipeline, target.branch));
  if (pipelines.length === 0) return skip(`no pipeline builds branch ${target.branch}`);
  const by = `push (${target.commit.author.name})`;
  for (const build of await buildsFor(mirror, repo.name, target, pipelines, { kind: 'push', by })) {
    const record = await deps.enqueue(build);
    report.built.push(record.id);
    log.info({ build: record.id, pipeline: record.pipeline, at: describeTarget(target) }, 'push queued');
  }
};
