import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Mirror, type MirrorOptions, openMirror } from '../../../src/adapters/git/mirror.js';
import { runOk } from '../../support/process.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../../support/puppet-repo.js';

/** The environment the mirror's git runs with in tests: no user or system git config leaks in. */
export const gitEnv = (home: string): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: home,
  GIT_CONFIG_NOSYSTEM: '1',
});

/** Runs git in `dir` as a fixed person, for changing the origin or a scratch clone. */
export const gitIn = async (dir: string, ...args: string[]): Promise<string> => {
  const env = {
    ...gitEnv(dir),
    GIT_AUTHOR_NAME: 'Test Pusher',
    GIT_AUTHOR_EMAIL: 'pusher@example.com',
    GIT_COMMITTER_NAME: 'Test Pusher',
    GIT_COMMITTER_EMAIL: 'pusher@example.com',
  };
  const { stdout } = await runOk('git', ['-C', dir, ...args], { env });
  return stdout.trim();
};

export interface Repos {
  root: string;
  origin: PuppetRepoFixture;
  /** Opens a mirror of the origin in `root/<name>`; closed by `cleanup`. */
  open(name: string, options?: Partial<MirrorOptions>): Promise<Mirror>;
  cleanup(): void;
}

/** A fresh fixture origin in its own temporary directory. */
export const createRepos = async (): Promise<Repos> => {
  const root = mkdtempSync(join(tmpdir(), 'heckler-git-'));
  const origin = await createPuppetRepo(join(root, 'origin'));
  const opened: Mirror[] = [];
  return {
    root,
    origin,
    async open(name, options = {}) {
      const mirror = await openMirror({
        url: origin.path,
        dir: join(root, name),
        track: { allBranches: true },
        env: gitEnv(root),
        ...options,
      });
      opened.push(mirror);
      return mirror;
    },
    cleanup() {
      for (const mirror of opened) mirror.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
};
