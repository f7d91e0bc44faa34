import {
  ambiguousRevision,
  isFullSha,
  isHexPrefix,
  unknownRevision,
  validateRevision,
} from '../../engine/repo/revision.js';
import {
  BRANCH_PREFIX,
  branchHeads,
  refCommit,
  sortTagsNewestFirst,
  TAG_PREFIX,
  tagEntries,
} from './refs.js';
import type { GitRunner } from './runner.js';

/** How many tags an "unknown revision" error lists. */
const TAGS_SHOWN = 3;

/**
 * Commits whose id starts with `prefix`. `rev-parse --disambiguate` lists every object with that
 * prefix (blobs and trees too), so each is checked for being a commit: a short SHA that also
 * matches a blob is not ambiguous, one that matches two commits is.
 */
const commitsWithPrefix = async (git: GitRunner, prefix: string): Promise<string[]> => {
  const objects = (await git.run(['rev-parse', `--disambiguate=${prefix}`])).split('\n').filter(Boolean);
  const types = await Promise.all(objects.map((sha) => git.run(['cat-file', '-t', sha])));
  return objects.filter((_, index) => types[index]?.trim() === 'commit');
};

/**
 * Tag (annotated peeled), then branch of the mirror, then full or short SHA → full commit SHA.
 * The text is validated first, and reaches git only inside `refs/tags/…`, `refs/remotes/origin/…`
 * or as hex digits: it can never be read as an option, a range or a path.
 */
export const resolveRevision = async (git: GitRunner, revision: string): Promise<string> => {
  const text = validateRevision(revision);
  // The common case (callers pass SHAs they got from us) costs one git call, not four.
  if (isFullSha(text)) {
    const found = await refCommit(git, text);
    if (found) return found;
  }
  const named =
    (await refCommit(git, `${TAG_PREFIX}${text}`)) ?? (await refCommit(git, `${BRANCH_PREFIX}${text}`));
  if (named) return named;
  if (isHexPrefix(text)) {
    const commits = await commitsWithPrefix(git, text.toLowerCase());
    if (commits.length > 1) throw ambiguousRevision(text, commits);
    if (commits[0]) return commits[0];
  }
  const [tags, branches] = await Promise.all([tagEntries(git), branchHeads(git)]);
  throw unknownRevision(text, {
    candidates: [...tags.map((tag) => tag.name), ...Object.keys(branches)],
    latestTags: sortTagsNewestFirst(tags)
      .slice(0, TAGS_SHOWN)
      .map((tag) => tag.name),
  });
};
