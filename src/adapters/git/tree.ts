import { HecklerError } from '../../engine/errors.js';
import type { GitRunner } from './runner.js';

/** Longest directory text accepted; real repository directories are far shorter. */
const MAX_DIR_LENGTH = 1000;

/**
 * A repository-relative directory as git's tree lookup wants it: no leading `./` or `/`, no
 * trailing `/`, `''` for the root. Refuses (USAGE) what could climb out of the tree (`..`), be
 * read as an option (`-…`), or not be a path at all (control characters).
 */
export const normalizeDir = (dir: string): string => {
  const refuse = (reason: string) =>
    new HecklerError(
      'USAGE',
      `'${dir.slice(0, 80).replace(/[\x00-\x1f\x7f]/g, '?')}' is not a directory: ${reason}`,
    );
  if (dir.startsWith('-')) throw refuse("it starts with '-'");
  if (dir.length > MAX_DIR_LENGTH) throw refuse(`it is longer than ${MAX_DIR_LENGTH} characters`);
  if (/[\x00-\x1f\x7f]/.test(dir)) throw refuse('it contains control characters');
  const path = dir
    .replace(/^(\.?\/)+/, '')
    .replace(/\/+$/, '')
    .replace(/^\.$/, '');
  if (path.split('/').some((part) => part === '..')) throw refuse("it contains '..'");
  return path;
};

/**
 * Files (blobs: regular files and symlinks) under `dir` at the commit `sha`, as paths from the
 * repository's root. The directory reaches git only inside the object name `<sha>:<dir>`, after
 * `--end-of-options`, so git reads it as a literal path in that commit's tree, never as an option
 * or a pathspec with magic. A missing directory, or a file, is exit 128: no files.
 */
export const listFilesAt = async (git: GitRunner, sha: string, dir: string): Promise<string[]> => {
  const found = await git.probe(['ls-tree', '-r', '-z', '--end-of-options', `${sha}:${dir}`], [128]);
  if (found.exitCode !== 0) return [];
  const prefix = dir === '' ? '' : `${dir}/`;
  const files: string[] = [];
  // -z records are `<mode> <type> <object>\t<path>` with the path unquoted.
  for (const record of found.stdout.split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0 || record.split(' ')[1] !== 'blob') continue;
    files.push(prefix + record.slice(tab + 1));
  }
  return files;
};
