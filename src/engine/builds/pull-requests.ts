import type { Logger } from '../ports/logger.js';
import { buildsFor, PIPELINE_FILE, readPipelineFile, type Target } from './commits.js';
import { branchAllowed, isSkipCi } from './pipeline.js';
import type { BuildRecord, BuildTrigger, NewBuild } from './records.js';
import { githubRepoOf, githubWebHost } from './status-reporter.js';
import type { RepoMirror, RepoRegistry, WatchedRepo } from './watch.js';

/** A pull request as the code host announced it (opened, synchronized or reopened). */
export interface PullRequest {
  /** The base repository on the host, `owner/name`: where the pull request was opened. */
  repo: string;
  number: number;
  /** The commit to build; the host's `refs/pull/N/head` must still point at it. */
  headSha: string;
  /** The head branch's name in its own repository (a fork's, when `fork`). */
  headRef: string;
  baseRef: string;
  /** The host login of who opened it. */
  author: string;
  /** The head is in another repository (or one since deleted): someone else's code. */
  fork: boolean;
}

/**
 * The branch a pull request is built as (what `branches:` and stage triggers match): its head
 * branch when it lives in the repository, `pull/N` for a fork, whose branch names are the fork
 * owner's to choose (a fork's `main` must not match patterns meant for ours).
 */
export const pullRequestBranch = (pr: PullRequest): string => (pr.fork ? `pull/${pr.number}` : pr.headRef);

/** What the build's message says triggered it: `PR #12 by @x`; a fork's is untrusted. */
export const pullRequestTrigger = (pr: PullRequest): BuildTrigger => ({
  kind: 'pull_request',
  by: `PR #${pr.number} by @${pr.author}`,
  ...(pr.fork ? { untrusted: true } : {}),
});

export interface PullRequestReport {
  repo: string;
  number: number;
  built: number[];
  /** Why nothing was built, when nothing was. */
  skipped?: string;
}

export interface PullRequestDeps {
  logger: Logger;
  enqueue(build: NewBuild): Promise<BuildRecord>;
  /** Builds of the repository at a commit already queued or run, so a replayed event builds nothing twice. */
  builtAt(repo: string, sha: string): Promise<BuildRecord[]>;
  onInvalid(repo: WatchedRepo, target: Target, errors: readonly string[]): Promise<void>;
}

/**
 * Builds a pull request's head: fetched from the host's pull ref (a fork's commits are nowhere
 * else), checked against the SHA the event named (a head that moved since is the next event's to
 * build), then one build per pipeline of the head's own ocelot.yml that builds the branch.
 */
export const buildPullRequest = async (
  deps: PullRequestDeps,
  repo: WatchedRepo,
  mirror: RepoMirror,
  pr: PullRequest,
): Promise<PullRequestReport> => {
  const report: PullRequestReport = { repo: repo.name, number: pr.number, built: [] };
  const log = deps.logger.child({ repo: repo.name, pr: pr.number, sha: pr.headSha });
  const skip = (why: string) => {
    log.info({ why }, 'pull request not built');
    return { ...report, skipped: why };
  };
  if (!mirror.fetchPull) return skip('this repository cannot fetch pull requests');
  const head = await mirror.fetchPull(pr.number);
  if (head !== pr.headSha) return skip(`its head moved to ${head.slice(0, 7)}; that event builds it`);
  const trigger = pullRequestTrigger(pr);
  const earlier = (await deps.builtAt(repo.name, head)).filter((b) => b.trigger.kind === 'pull_request');
  if (earlier.length > 0) return skip(`already built as #${earlier.map((b) => b.id).join(', #')}`);
  const commit = await mirror.commit(head);
  const target: Target = { branch: pullRequestBranch(pr), sha: head, commit };
  if (isSkipCi(`${commit.subject}\n${commit.body}`)) return skip('[skip ci] in the commit message');
  const parsed = await readPipelineFile(mirror, head);
  if (!parsed) return skip(`no ${PIPELINE_FILE}`);
  if (!parsed.ok) {
    await deps.onInvalid(repo, target, parsed.errors);
    return skip(`${PIPELINE_FILE} is invalid`);
  }
  const pipelines = parsed.pipelines.filter((pipeline) => branchAllowed(pipeline, target.branch));
  if (pipelines.length === 0) return skip(`no pipeline builds branch ${target.branch}`);
  for (const build of await buildsFor(mirror, repo.name, target, pipelines, trigger)) {
    const record = await deps.enqueue(build);
    report.built.push(record.id);
    log.info({ build: record.id, pipeline: record.pipeline, fork: pr.fork }, 'pull request queued');
  }
  return report;
};

/**
 * Watched repositories by their name on the code host: mapped in heckler.yml, or read from a
 * github.com URL or one on the host of `apiUrl` (GitHub Enterprise) without a mapping.
 */
export const hostRepos = (
  registry: Pick<RepoRegistry, 'all'>,
  codeHost: { repos: Readonly<Record<string, string>>; apiUrl?: string } | undefined,
) => {
  const hosts = [...new Set(['github.com', githubWebHost(codeHost?.apiUrl ?? '') ?? 'github.com'])];
  const hostRepoOf = async (repo: Pick<WatchedRepo, 'name' | 'url'>) =>
    codeHost?.repos[repo.name] ?? githubRepoOf(repo.url, hosts);
  return {
    hostRepoOf,
    /** The watched repositories (not the Puppet one: reviews build it) that are `hostRepo`. */
    watchedAs: async (hostRepo: string): Promise<WatchedRepo[]> => {
      const found: WatchedRepo[] = [];
      for (const repo of await registry.all()) {
        const name = repo.builtOnReview ? undefined : await hostRepoOf(repo);
        if (name?.toLowerCase() === hostRepo.toLowerCase()) found.push(repo);
      }
      return found;
    },
  };
};
