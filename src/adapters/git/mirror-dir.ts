import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HecklerError } from '../../engine/errors.js';
import type { Logger } from '../../engine/ports/logger.js';
import { GitExitError, type GitRunner } from './runner.js';

/**
 * A file only Heckler writes. A directory is deleted and re-cloned only when it carries this
 * marker (or is empty): a mirrorDir pointed at the wrong place must never cost someone their files.
 */
export const MARKER = 'HECKLER_MIRROR';
const MARKER_TEXT =
  'A bare mirror kept by Heckler. Heckler deletes and re-clones this directory when it is corrupt.\n';

/** Refs the mirror creates for a moment (bundles); any found at open were left by a crash. */
export const SCRATCH_REFS = 'refs/heckler/';

/** False when git cannot read the repository or any ref tip is missing its object. */
const isHealthy = async (git: GitRunner): Promise<boolean> => {
  try {
    if ((await git.run(['rev-parse', '--is-bare-repository'])).trim() !== 'true') return false;
    // %(objecttype) makes git read every tip, so deleted objects fail here, not in a later command.
    await git.run(['for-each-ref', '--format=%(objecttype)']);
    return true;
  } catch (error) {
    if (error instanceof GitExitError) return false;
    throw error;
  }
};

const initialize = async (git: GitRunner, dir: string) => {
  mkdirSync(dir, { recursive: true });
  await git.run(['init', '--bare', '--quiet']);
  writeFileSync(join(dir, MARKER), MARKER_TEXT);
  // fetch may start `gc --auto`/maintenance; detached it would write behind our serialized queue.
  await git.run(['config', 'gc.autoDetach', 'false']);
  await git.run(['config', 'maintenance.autoDetach', 'false']);
};

const setOrigin = async (git: GitRunner, url: string) => {
  const current = await git.probe(['config', '--get', 'remote.origin.url']);
  if (current.stdout.trim() !== url) await git.run(['config', 'remote.origin.url', url]);
};

const dropScratchRefs = async (git: GitRunner) => {
  const refs = await git.run(['for-each-ref', '--format=%(refname)', SCRATCH_REFS]);
  for (const ref of refs.split('\n').filter(Boolean)) await git.run(['update-ref', '-d', ref]);
};

/**
 * Makes `dir` a healthy bare mirror of `url`: initializes an empty or missing directory, keeps a
 * healthy one, and wipes and re-initializes a corrupt one that Heckler made. Returns true when the
 * mirror is new and still needs its first fetch. Runs before any other git command on the mirror.
 */
export const prepareMirrorDir = async (
  git: GitRunner,
  options: { dir: string; url: string; logger: Logger | undefined },
): Promise<boolean> => {
  const { dir, url, logger } = options;
  const empty = !existsSync(dir) || readdirSync(dir).length === 0;
  let fresh = empty;
  if (empty) {
    await initialize(git, dir);
  } else if (!existsSync(join(dir, MARKER))) {
    throw new HecklerError(
      'CONFIG_INVALID',
      `mirror directory ${dir} is not empty and is not a Heckler mirror`,
      {
        hint: 'Point repo.mirrorDir at an empty or new directory, or move the existing one away.',
      },
    );
  } else if (!(await isHealthy(git))) {
    logger?.warn({ dir }, 'mirror is corrupt; cloning it again');
    rmSync(dir, { recursive: true, force: true });
    await initialize(git, dir);
    fresh = true;
  }
  await setOrigin(git, url);
  if (!fresh) await dropScratchRefs(git);
  return fresh;
};
