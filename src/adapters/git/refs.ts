import type { RefNames } from '../../engine/ports/repo.js';
import type { GitRunner } from './runner.js';

/** Where the mirror keeps the origin's branches: remote-tracking refs, as a normal clone does. */
export const BRANCH_PREFIX = 'refs/remotes/origin/';
export const TAG_PREFIX = 'refs/tags/';

export interface TagEntry {
  name: string;
  /** The commit the tag points at, annotated tags peeled. */
  commit: string;
  /** Committer date of that commit, epoch seconds. */
  commitDate: number;
  /** Tagger date for annotated tags, else the commit date: breaks ties between tags on one date. */
  createdDate: number;
}

/** The commit a full ref name points at (annotated tags peeled), or undefined when there is none. */
export const refCommit = async (git: GitRunner, ref: string): Promise<string | undefined> => {
  const { exitCode, stdout } = await git.probe([
    'rev-parse',
    '--verify',
    '--quiet',
    '--end-of-options',
    `${ref}^{commit}`,
  ]);
  return exitCode === 0 ? stdout.trim() : undefined;
};

const lines = (text: string) => text.split('\n').filter((line) => line.length > 0);

/** Every tag that points (possibly through an annotated tag) at a commit. */
export const tagEntries = async (git: GitRunner): Promise<TagEntry[]> => {
  const format =
    '%(refname:lstrip=2)%09%(objecttype)%09%(objectname)%09%(*objectname)%09%(committerdate:unix)%09%(*committerdate:unix)%09%(creatordate:unix)';
  const output = await git.run(['for-each-ref', `--format=${format}`, TAG_PREFIX]);
  const tags: TagEntry[] = [];
  for (const line of lines(output)) {
    const [name = '', type, object = '', peeled = '', date, peeledDate, created] = line.split('\t');
    // Tags of trees or blobs, and tags of tags, name no commit: they cannot be nooped.
    const commit = type === 'commit' ? object : peeled;
    const commitDate = Number(type === 'commit' ? date : peeledDate);
    if (!commit || !Number.isFinite(commitDate) || commitDate === 0) continue;
    tags.push({ name, commit, commitDate, createdDate: Number(created) || commitDate });
  }
  return tags;
};

/** Newest first by the date of the tagged commit; ties by tag date, then name. */
export const sortTagsNewestFirst = (tags: readonly TagEntry[]): TagEntry[] =>
  [...tags].sort(
    (a, b) => b.commitDate - a.commitDate || b.createdDate - a.createdDate || b.name.localeCompare(a.name),
  );

/** Mirrored branch name → commit. `origin/HEAD` is a pointer to another branch, not a branch. */
export const branchHeads = async (git: GitRunner): Promise<Record<string, string>> => {
  const format = '%(refname)%09%(objectname)%09%(symref)';
  const output = await git.run(['for-each-ref', `--format=${format}`, BRANCH_PREFIX]);
  const branches: Record<string, string> = {};
  for (const line of lines(output)) {
    const [ref = '', sha = '', symref] = line.split('\t');
    if (symref) continue;
    branches[ref.slice(BRANCH_PREFIX.length)] = sha;
  }
  return branches;
};

/** Tags and branches whose tip is exactly `sha` (for-each-ref also matches annotated tags of it). */
export const refNamesAt = async (git: GitRunner, sha: string): Promise<RefNames> => {
  const format = '%(refname)%09%(symref)';
  const output = await git.run([
    'for-each-ref',
    `--points-at=${sha}`,
    `--format=${format}`,
    TAG_PREFIX,
    BRANCH_PREFIX,
  ]);
  const names: RefNames = { tags: [], branches: [] };
  for (const line of lines(output)) {
    const [ref = '', symref] = line.split('\t');
    if (ref.startsWith(TAG_PREFIX)) names.tags.push(ref.slice(TAG_PREFIX.length));
    else if (!symref) names.branches.push(ref.slice(BRANCH_PREFIX.length));
  }
  return names;
};
