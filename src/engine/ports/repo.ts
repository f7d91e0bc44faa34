/** The Puppet code repository as the engine sees it: a mirror it can ask questions. */
export interface Person {
  name: string;
  email: string;
}

export interface CommitInfo {
  sha: string;
  shortSha: string;
  subject: string;
  body: string;
  author: Person;
  /**
   * Who made the commit object: not the author when someone else rebased, cherry-picked or merged
   * it (a web UI merge), and usually the one whose key signed it.
   */
  committer: Person;
  /** From `Co-authored-by:` trailers, deduplicated, author excluded. */
  coAuthors: Person[];
  parents: string[];
  /** Epoch milliseconds (committer date). */
  date: number;
}

export interface RefNames {
  tags: string[];
  branches: string[];
}

export interface CodeRepo {
  /** Fetch the tracked branch and all tags from the origin. Serialized with every other write. */
  fetch(): Promise<void>;
  /** A tag (annotated ones peeled), branch, or full/short SHA → full commit SHA; UNKNOWN_REVISION otherwise. */
  resolve(revision: string): Promise<string>;
  commit(sha: string): Promise<CommitInfo>;
  /** Commits reachable from `to` but not from `from` (all of `to`'s history when `from` is undefined), oldest first. */
  commitsBetween(
    from: string | undefined,
    to: string,
    options?: { firstParent?: boolean },
  ): Promise<CommitInfo[]>;
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /** Tags and branches pointing exactly at `sha`. */
  namesAt(sha: string): Promise<RefNames>;
  /** Newest tags first (by commit date). */
  latestTags(count: number): Promise<string[]>;
  /** A file's content at a commit, or undefined when it does not exist there. */
  fileAt(sha: string, path: string): Promise<string | undefined>;
  /** The tracked branch's tip. */
  head(): Promise<string>;
  /**
   * A git bundle holding `sha` and the objects it needs, minus what is reachable from `haves`
   * (commits the receiver already has), so only the missing objects travel.
   */
  bundle(sha: string, haves: readonly string[]): Promise<Buffer>;
  /** The tree at `sha` as an uncompressed tar (for copying into a build container). */
  archive(sha: string): Promise<Buffer>;
  /**
   * Repository-relative paths of the files (blobs, symlinks included; submodules not) under `dir`
   * at `sha`, recursively, in git's order; `[]` when `dir` does not exist there or is a file.
   * `dir` is repository-relative (`manifests`, `./manifests/`; `''` is the whole tree) and may
   * not contain a `..` part or start with `-` (USAGE).
   */
  listFiles(sha: string, dir: string): Promise<string[]>;
  /** Files changed by `sha` against its first parent (all files for a root commit). */
  changedFiles(sha: string): Promise<string[]>;
  /** Mirrored branches and the commit each points at. */
  branches(): Promise<Record<string, string>>;
}
