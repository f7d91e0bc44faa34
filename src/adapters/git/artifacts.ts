import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHexPrefix } from '../../engine/repo/revision.js';
import { SCRATCH_REFS } from './mirror-dir.js';
import type { GitRunner } from './runner.js';

/**
 * git writes bundles and archives as binary; simple-git hands back stdout as text, so both go
 * through a private temporary file instead.
 */
const viaTempFile = async (prefix: string, write: (file: string) => Promise<unknown>): Promise<Buffer> => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    const file = join(dir, 'out');
    await write(file);
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

/**
 * The commits the receiver has that can trim the bundle. Haves are only ever given to git as
 * hex (anything else is ignored), and those the mirror does not know are dropped: a bundle may
 * only require commits that exist. A have that already contains `sha` is dropped too, since
 * subtracting it would leave git nothing to bundle.
 */
const usableHaves = async (git: GitRunner, sha: string, haves: readonly string[]): Promise<string[]> => {
  const candidates = [...new Set(haves.filter(isHexPrefix).map((have) => have.toLowerCase()))];
  const checked = await Promise.all(
    candidates.map(async (have) => {
      const found = await git.probe(
        ['rev-parse', '--verify', '--quiet', '--end-of-options', `${have}^{commit}`],
        [1, 128],
      );
      if (found.exitCode !== 0) return undefined;
      const full = found.stdout.trim();
      const contains = await git.probe(['merge-base', '--is-ancestor', sha, full]);
      return contains.exitCode === 0 ? undefined : full;
    }),
  );
  return [...new Set(checked.filter((have) => have !== undefined))];
};

/**
 * A bundle of `sha` minus everything reachable from the usable haves. `git bundle create` only
 * bundles refs, so a scratch ref `refs/heckler/bundle/<sha>` names the commit for the moment; it
 * is created and deleted inside the write queue so that concurrent bundles cannot delete each
 * other's ref. The receiver runs `git fetch <file> <sha>` (or that ref name).
 */
export const createBundle = async (
  git: GitRunner,
  sha: string,
  haves: readonly string[],
): Promise<Buffer> => {
  const exclude = await usableHaves(git, sha, haves);
  const ref = `${SCRATCH_REFS}bundle/${sha}`;
  return viaTempFile('heckler-bundle-', (file) =>
    git.serialize(async () => {
      await git.run(['update-ref', ref, sha]);
      try {
        await git.run([
          'bundle',
          'create',
          '--quiet',
          file,
          '--end-of-options',
          ref,
          ...exclude.map((have) => `^${have}`),
        ]);
      } finally {
        await git.run(['update-ref', '-d', ref]);
      }
    }),
  );
};

/** The tree at `sha` as an uncompressed tar. */
export const createArchive = (git: GitRunner, sha: string): Promise<Buffer> =>
  viaTempFile('heckler-archive-', (file) =>
    git.run(['archive', '--format=tar', `--output=${file}`, '--end-of-options', sha]),
  );
