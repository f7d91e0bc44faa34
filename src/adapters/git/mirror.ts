import { mkdirSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { HecklerError } from '../../engine/errors.js';
import type { Logger } from '../../engine/ports/logger.js';
import type { CodeRepo, CommitInfo } from '../../engine/ports/repo.js';
import { validateRevision } from '../../engine/repo/revision.js';
import { createArchive, createBundle } from './artifacts.js';
import { COMMIT_FORMAT, parseCommits } from './commit-format.js';
import { prepareMirrorDir } from './mirror-dir.js';
import {
  BRANCH_PREFIX,
  branchHeads,
  refCommit,
  refNamesAt,
  sortTagsNewestFirst,
  TAG_PREFIX,
  tagEntries,
} from './refs.js';
import { resolveRevision } from './resolve.js';
import { createGitRunner, type GitRunner } from './runner.js';
import { listFilesAt, normalizeDir } from './tree.js';

export type Track = { branch: string } | { allBranches: true };

export interface MirrorOptions {
  /** What git clones: a path, file://, ssh:// or https:// URL. */
  url: string;
  /** The mirror's directory; created, or re-created when corrupt (only if Heckler made it). */
  dir: string;
  /** One branch (the one nooped) or every branch; tags are always mirrored. */
  track: Track;
  logger?: Logger;
  /**
   * The environment git runs with. Only the config module reads process.env, so the composition
   * root passes what git needs (HOME for credentials, SSH_AUTH_SOCK); PATH alone by default.
   */
  env?: Readonly<Record<string, string>>;
  /** Kill a git command silent for this long; default 5 minutes. */
  idleTimeoutMs?: number;
}

export type Mirror = CodeRepo & {
  close(): void;
  /**
   * Fetches a pull request's head (GitHub's `refs/pull/N/head`, which holds a fork's commits too)
   * into the mirror; resolves to the commit it points at.
   */
  fetchPull(number: number): Promise<string>;
};

const DEFAULT_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };

/** origin/HEAD, set from the origin's default branch, is the tip when every branch is mirrored. */
const headRef = (track: Track) => `${BRANCH_PREFIX}${'branch' in track ? track.branch : 'HEAD'}`;

const fetchArgs = (track: Track): string[] => [
  'fetch',
  '--prune',
  '--no-tags',
  // Progress on stderr keeps the idle timeout from killing a long but healthy first clone.
  '--progress',
  'origin',
  'branch' in track
    ? `+refs/heads/${track.branch}:${BRANCH_PREFIX}${track.branch}`
    : `+refs/heads/*:${BRANCH_PREFIX}*`,
  `+refs/tags/*:${TAG_PREFIX}*`,
];

/**
 * Fetches, one at a time through the write queue. A caller arriving while a fetch is still
 * waiting its turn shares that fetch: it has not started, so it will see everything the caller
 * wants. One arriving while a fetch runs queues a new one, since the running one may be too early.
 */
const fetcher = (git: GitRunner, track: Track, url: string, logger: Logger | undefined) => {
  let pending: { started: boolean; done: Promise<void> } | undefined;
  const fetchNow = async () => {
    const started = Date.now();
    try {
      await git.run(fetchArgs(track));
    } catch (cause) {
      const lines = (cause instanceof Error ? cause.message : String(cause)).split('\n').filter(Boolean);
      const why = lines.find((line) => line.startsWith('fatal:')) ?? lines[0] ?? 'git failed';
      throw new HecklerError(
        'REPO_UNAVAILABLE',
        `could not fetch the repository ${url.replace(/\/\/[^@/]*@/, '//***@')}: ${why}`,
        {
          hint: 'check repo.url in heckler.yml and that this machine can reach it; nothing was changed',
          cause,
        },
      );
    }
    if (!('branch' in track) && !(await refCommit(git, headRef(track)))) {
      await git.probe(['remote', 'set-head', 'origin', '--auto'], [1, 128]);
    }
    logger?.debug({ ms: Date.now() - started }, 'mirror fetched');
  };
  return (): Promise<void> => {
    if (pending && !pending.started) return pending.done;
    const entry = { started: false, done: Promise.resolve() };
    entry.done = git.serialize(() => {
      entry.started = true;
      return fetchNow();
    });
    pending = entry;
    return entry.done;
  };
};

/** Opens (cloning or repairing as needed) a bare mirror of the Puppet repo. */
export const openMirror = async (options: MirrorOptions): Promise<Mirror> => {
  const { url, track, logger } = options;
  if (url.startsWith('-')) throw new HecklerError('CONFIG_INVALID', `repo url '${url}' starts with '-'`);
  if ('branch' in track) validateRevision(track.branch);
  const dir = resolvePath(options.dir);
  mkdirSync(dir, { recursive: true });
  const aborter = new AbortController();
  const git = createGitRunner({
    gitDir: dir,
    env: options.env ?? DEFAULT_ENV,
    idleTimeoutMs: options.idleTimeoutMs ?? 300_000,
    signal: aborter.signal,
  });
  const fetch = fetcher(git, track, url, logger);
  const fresh = await git.serialize(() => prepareMirrorDir(git, { dir, url, logger }));
  if (fresh || !(await refCommit(git, headRef(track)))) {
    await fetch();
    logger?.info({ dir }, 'mirror cloned');
  }

  const resolve = (revision: string) => resolveRevision(git, revision);
  /** Validates every revision before resolving any, so one bad argument means no git at all. */
  const resolveAll = async <T extends readonly string[]>(...revisions: T) => {
    for (const revision of revisions) validateRevision(revision);
    return (await Promise.all(revisions.map(resolve))) as { [K in keyof T]: string };
  };
  const log = async (args: readonly string[]) =>
    parseCommits(await git.run(['log', '-z', COMMIT_FORMAT, ...args]));
  const commit = async (sha: string): Promise<CommitInfo> => {
    const [info] = await log(['-1', '--end-of-options', await resolve(sha)]);
    if (!info) throw new Error(`git log printed nothing for ${sha}`);
    return info;
  };

  return {
    fetch,
    resolve,
    commit,
    async commitsBetween(from, to, options = {}) {
      const [tip, ...start] = await resolveAll(to, ...(from === undefined ? [] : [from]));
      const order = ['--date-order', '--reverse', ...(options.firstParent ? ['--first-parent'] : [])];
      return log([...order, '--end-of-options', tip, ...start.map((sha) => `^${sha}`)]);
    },
    async isAncestor(ancestor, descendant) {
      const shas = await resolveAll(ancestor, descendant);
      return (await git.probe(['merge-base', '--is-ancestor', '--end-of-options', ...shas])).exitCode === 0;
    },
    namesAt: async (sha) => refNamesAt(git, await resolve(sha)),
    latestTags: async (count) =>
      sortTagsNewestFirst(await tagEntries(git))
        .slice(0, count)
        .map((tag) => tag.name),
    async fileAt(sha, path) {
      const object = `${await resolve(sha)}:${path.replace(/^(\.?\/)+/, '')}`;
      // The commit is verified by now: exit 128 means no such path there, or a directory.
      const found = await git.probe(['cat-file', 'blob', '--end-of-options', object], [128]);
      return found.exitCode === 0 ? found.stdout : undefined;
    },
    async listFiles(sha, dir) {
      // The directory is checked before anything reaches git, like a revision.
      const path = normalizeDir(dir);
      return listFilesAt(git, await resolve(sha), path);
    },
    async head() {
      const tip = await refCommit(git, headRef(track));
      if (!tip)
        throw new HecklerError('NOT_FOUND', `the mirror has no ${headRef(track)}; has it been fetched?`);
      return tip;
    },
    bundle: async (sha, haves) => createBundle(git, await resolve(sha), haves),
    archive: async (sha) => createArchive(git, await resolve(sha)),
    async changedFiles(sha) {
      const { sha: full, parents } = await commit(sha);
      const against =
        parents[0] === undefined
          ? ['--root', '--end-of-options', full]
          : ['--end-of-options', parents[0], full];
      const output = await git.run(['diff-tree', '-r', '--name-only', '--no-commit-id', '-z', ...against]);
      return output.split('\0').filter(Boolean);
    },
    branches: () => branchHeads(git),
    async fetchPull(number) {
      if (!Number.isSafeInteger(number) || number < 1)
        throw new HecklerError('USAGE', `no pull request #${number}`);
      const local = `refs/heckler/pull/${number}`;
      await git.serialize(() =>
        git.run(['fetch', '--no-tags', 'origin', `+refs/pull/${number}/head:${local}`]),
      );
      const sha = await refCommit(git, local);
      if (!sha) throw new HecklerError('NOT_FOUND', `the origin has no head for pull request #${number}`);
      return sha;
    },
    close: () => aborter.abort(),
  };
};
