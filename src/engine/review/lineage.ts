import { isHecklerError } from '../errors.js';

/**
 * `isAncestor` for review math: a revision git does not know (a node applied a commit since
 * force-pushed away) is simply unrelated. Any other failure (the mirror unreadable, git killed)
 * is not an answer: it propagates, the review run fails with it, and the stored review — and its
 * approval — stay as they were instead of being recomputed on a made-up "unrelated history".
 */
export const unlessUnrelated = (answer: Promise<boolean>): Promise<boolean> =>
  answer.catch((error: unknown) => {
    if (isHecklerError(error, 'UNKNOWN_REVISION')) return false;
    throw error;
  });
