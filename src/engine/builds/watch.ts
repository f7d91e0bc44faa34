import { HecklerError } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { CodeRepo } from '../ports/repo.js';
import type { Store } from '../ports/store.js';
import { escapeText, mention } from '../text/mrkdwn.js';
import { closest } from '../text/suggest.js';
import { branchMatches, branchNameProblem } from './triggers.js';
import { localRepoRefused, readRepoUrl } from './watch-url.js';

/** A repository whose pushes are built. */
export interface WatchedRepo {
  /** `infra/api`. */
  name: string;
  /** What git clones. */
  url: string;
  /** Unanchored regexes; only matching branches are polled (absent: every branch). */
  branches?: string[];
  /** heckler.yml repos cannot be unwatched in chat; they would come back at the next start. */
  source: 'config' | 'chat';
  /** The Puppet repository (repo.build): built when a commit is reviewed, so never polled. */
  builtOnReview?: boolean;
  addedBy?: string;
  addedAt?: number;
}

/** A mirror of every branch of one repository. */
export type RepoMirror = CodeRepo & {
  close(): void;
  /** Fetches pull request `number`'s head (the code host's `refs/pull/N/head`); its commit. */
  fetchPull?(number: number): Promise<string>;
};

/** Clones (or reopens) the mirror of a repository. The composition root passes the git adapter. */
export type OpenRepo = (repo: Pick<WatchedRepo, 'name' | 'url'>) => Promise<RepoMirror>;

/**
 * The one wording for a repository that is not watched, whichever command asked: the same words,
 * the closest name, and how to add one.
 */
export const notWatched = (name: string, known: readonly string[]): HecklerError => {
  const [best] = closest(name, known, 1);
  const guess = best === undefined ? '' : ` (did you mean ${best}?)`;
  return new HecklerError(
    'NOT_FOUND',
    `${escapeText(`${name} is not watched${guess}`)}; /heckler watch REPO URL adds one`,
  );
};

/** Whether the repository's heckler.yml `branches` let `branch` be polled; long names never are. */
export const repoAllows = (repo: WatchedRepo, branch: string): boolean =>
  branchNameProblem(branch) === undefined &&
  (repo.branches === undefined || repo.branches.some((source) => branchMatches(source, branch)));

export interface RepoRegistryOptions {
  /** From heckler.yml. */
  configured: readonly Omit<WatchedRepo, 'source'>[];
  /** Repositories added with `/heckler watch`, by name. */
  store: Store<WatchedRepo>;
  open: OpenRepo;
  clock: Clock;
  logger: Logger;
}

export interface RepoRegistry {
  /** Config repos first, then the watched ones by name. */
  all(): Promise<WatchedRepo[]>;
  /** NOT_FOUND in the `notWatched` words. */
  get(name: string): Promise<WatchedRepo>;
  /**
   * Clones first, so a URL git cannot reach is refused before anything is stored. Local paths are
   * refused: they are heckler.yml's (the command also checks `builds.allowedUrls`).
   */
  add(name: string, url: string, by: string): Promise<WatchedRepo>;
  /** Config repos are refused (say so); returns what was removed. */
  remove(name: string): Promise<WatchedRepo>;
  /** The open mirror of a watched repository (opened on first use, shared after). */
  mirror(repo: WatchedRepo): Promise<RepoMirror>;
  close(): void;
}

export const createRepoRegistry = (options: RepoRegistryOptions): RepoRegistry => {
  const { store, clock, logger } = options;
  const configured: WatchedRepo[] = options.configured.map((repo) => ({ ...repo, source: 'config' }));
  const mirrors = new Map<string, { url: string; opened: Promise<RepoMirror> }>();

  const all = async () => {
    const added: WatchedRepo[] = [];
    for await (const [, repo] of store.entries()) {
      if (!configured.some((c) => c.name === repo.name)) added.push(repo);
    }
    return [...configured, ...added.sort((a, b) => a.name.localeCompare(b.name))];
  };

  const drop = (name: string) => {
    const open = mirrors.get(name);
    mirrors.delete(name);
    void open?.opened.then((mirror) => mirror.close()).catch(() => undefined);
  };

  const mirror = (repo: WatchedRepo): Promise<RepoMirror> => {
    // A local path watched from chat before chat was refused them is not opened either.
    if (repo.source === 'chat' && readRepoUrl(repo.url).kind === 'local') {
      return Promise.reject(localRepoRefused(repo.url));
    }
    const known = mirrors.get(repo.name);
    if (known && known.url === repo.url) return known.opened;
    if (known) drop(repo.name);
    const opened = options.open(repo);
    // A failed clone is retried on the next use, not remembered.
    opened.catch(() => mirrors.get(repo.name)?.opened === opened && mirrors.delete(repo.name));
    mirrors.set(repo.name, { url: repo.url, opened });
    return opened;
  };

  const get = async (name: string) => {
    const repos = await all();
    const found = repos.find((repo) => repo.name === name);
    if (!found)
      throw notWatched(
        name,
        repos.map((repo) => repo.name),
      );
    return found;
  };

  return {
    all,
    get,
    add: async (name, url, by) => {
      if (readRepoUrl(url).kind === 'local') throw localRepoRefused(url);
      const existing = (await all()).find((repo) => repo.name === name);
      if (existing) {
        const how =
          existing.source === 'config'
            ? 'from heckler.yml'
            : `since ${new Date(existing.addedAt ?? 0).toISOString().slice(0, 10)} (added by ${mention(existing.addedBy ?? '?')})`;
        throw new HecklerError(
          'USAGE',
          `${escapeText(name)} is already watched ${how}, from ${escapeText(existing.url)}`,
          {
            hint:
              existing.source === 'chat'
                ? `\`/heckler unwatch ${escapeText(name)}\` first to change its URL`
                : undefined,
          },
        );
      }
      const repo: WatchedRepo = { name, url, source: 'chat', addedBy: by, addedAt: clock.now() };
      await mirror(repo);
      await store.set(name, repo);
      logger.info({ repo: name, url, by }, 'repository watched');
      return repo;
    },
    remove: async (name) => {
      const repo = await get(name);
      if (repo.source === 'config') {
        throw new HecklerError(
          'USAGE',
          `${escapeText(name)} is watched from heckler.yml, so it cannot be unwatched in chat`,
          {
            hint: `remove it from builds.repos in heckler.yml and restart the bot`,
          },
        );
      }
      await store.delete(name);
      drop(name);
      return repo;
    },
    mirror,
    close: () => {
      for (const name of [...mirrors.keys()]) drop(name);
    },
  };
};
