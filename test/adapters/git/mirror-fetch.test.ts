import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMirror } from '../../../src/adapters/git/mirror.js';
import { isHecklerError } from '../../../src/engine/errors.js';
import { captureLogger } from '../../support/logger.js';
import { runOk } from '../../support/process.js';
import { createRepos, gitEnv, gitIn, type Repos } from './repos.js';

let repos: Repos;
beforeAll(async () => {
  repos = await createRepos();
});
afterAll(() => repos.cleanup());

/** A commit on the origin's main, as a developer's push would leave it. */
const pushCommit = async (file: string, content: string): Promise<string> => {
  writeFileSync(join(repos.origin.path, file), content);
  await gitIn(repos.origin.path, 'add', file);
  await gitIn(repos.origin.path, 'commit', '--quiet', '--no-verify', '-m', `add ${file}`);
  return gitIn(repos.origin.path, 'rev-parse', 'HEAD');
};

/** git's own verdict on a mirror: every object present and every ref pointing at one. */
const fsck = (dir: string) => runOk('git', ['--git-dir', dir, 'fsck', '--full', '--strict', '--no-dangling']);

describe('fetch', () => {
  it('picks up a commit and a tag pushed after the mirror was made, and drops a deleted tag', async () => {
    const mirror = await repos.open('fetch-main', { track: { branch: 'main' } });
    const pushed = await pushCommit('NEWS.md', 'v3 is out\n');
    await gitIn(repos.origin.path, 'tag', '-a', '-m', 'Release v3', 'v3');
    expect(await mirror.head()).toBe(repos.origin.commits.fixed);
    expect(
      isHecklerError(await mirror.resolve('v3').catch((error: unknown) => error), 'UNKNOWN_REVISION'),
    ).toBe(true);

    await mirror.fetch();
    expect(await mirror.head()).toBe(pushed);
    expect(await mirror.resolve('v3')).toBe(pushed);
    expect(await mirror.latestTags(1)).toEqual(['v3']);
    expect(await mirror.commitsBetween('v2', 'v3')).toMatchObject([{ sha: pushed, subject: 'add NEWS.md' }]);

    await gitIn(repos.origin.path, 'tag', '-d', 'v3');
    await mirror.fetch();
    expect(await mirror.latestTags(10)).toEqual(['v1.1', 'v2', 'v1']);
  });

  it('runs five fetches at once without corrupting the mirror', async () => {
    const dir = join(repos.root, 'fetch-many');
    const mirror = await repos.open('fetch-many');
    const pushed = await pushCommit('MANY.md', 'many\n');
    const reads = Promise.all([mirror.branches(), mirror.latestTags(3), mirror.resolve('v1')]);
    await Promise.all([mirror.fetch(), mirror.fetch(), mirror.fetch(), mirror.fetch(), mirror.fetch()]);
    await reads;
    expect((await mirror.branches()).main).toBe(pushed);
    await fsck(dir);
    // Another round while new commits land between the calls.
    const rounds = [];
    for (let i = 0; i < 5; i++) {
      rounds.push(mirror.fetch());
      await pushCommit(`ROUND${i}.md`, `${i}\n`);
    }
    rounds.push(mirror.fetch());
    await Promise.all(rounds);
    expect(await mirror.head()).toBe(await gitIn(repos.origin.path, 'rev-parse', 'HEAD'));
    await fsck(dir);
  });

  it('kills a fetch that stays silent longer than the idle timeout', async () => {
    // The mirror's git is a wrapper that, once told to, turns every fetch into a silent hang. The
    // timeout leaves room for ordinary commands on a loaded machine.
    const realGit = (await runOk('sh', ['-c', 'command -v git'])).stdout.trim();
    const bin = join(repos.root, 'hang-bin');
    const hang = join(repos.root, 'hang-now');
    mkdirSync(bin);
    const script = `#!/bin/sh\nif [ "$1" = fetch ] && [ -e '${hang}' ]; then exec sleep 30; fi\nexec '${realGit}' "$@"\n`;
    writeFileSync(join(bin, 'git'), script, { mode: 0o755 });
    const env = gitEnv(repos.root);
    const mirror = await repos.open('fetch-hang', {
      env: { ...env, PATH: `${bin}:${env.PATH}` },
      idleTimeoutMs: 3_000,
    });
    writeFileSync(hang, '');
    await expect(mirror.fetch()).rejects.toThrow(/timeout/);
    rmSync(hang);
    // The queue is not stuck behind the killed fetch.
    await mirror.fetch();
    expect(await mirror.resolve('v2')).toBe(repos.origin.commits.fixed);
  });
});

describe('opening a damaged mirror', () => {
  it.each([
    ['garbage in HEAD', (dir: string) => writeFileSync(join(dir, 'HEAD'), 'garbage\n')],
    ['objects deleted', (dir: string) => rmSync(join(dir, 'objects'), { recursive: true, force: true })],
    [
      'object files deleted',
      (dir: string) => {
        // Small fetches leave loose objects, bigger ones packs: remove both, keep the layout.
        for (const entry of readdirSync(join(dir, 'objects'))) {
          if (entry !== 'info') rmSync(join(dir, 'objects', entry), { recursive: true, force: true });
        }
        mkdirSync(join(dir, 'objects', 'pack'));
      },
    ],
    ['config unreadable', (dir: string) => writeFileSync(join(dir, 'config'), '[core\nbare = \n')],
  ])('clones again when it finds %s', async (_, damage) => {
    const name = `damaged-${Math.random().toString(36).slice(2)}`;
    const dir = join(repos.root, name);
    (await repos.open(name)).close();
    damage(dir);
    const { logger, text } = captureLogger();
    const mirror = await repos.open(name, { logger });
    expect(await mirror.resolve('v1')).toBe(repos.origin.commits.motdChange);
    expect(await mirror.fileAt('v2', 'manifests/site.pp')).toContain('node2.example.com');
    expect(text()).toContain('mirror is corrupt; cloning it again');
    await fsck(dir);
  });

  it('never lets git fall back to a repository around a broken mirror', async () => {
    // A mirror inside some other repository's work tree, which has a v1 of its own: a git that
    // searched upwards from a broken mirror would answer for the outer repository instead.
    const outer = join(repos.root, 'outer');
    mkdirSync(outer);
    await gitIn(outer, 'init', '--quiet', '--initial-branch=main');
    await gitIn(outer, 'commit', '--quiet', '--allow-empty', '-m', 'outer');
    await gitIn(outer, 'tag', 'v1');
    const dir = join(outer, 'mirror');
    const options = { url: repos.origin.path, dir, track: { branch: 'main' }, env: gitEnv(repos.root) };
    const first = await openMirror(options);
    writeFileSync(join(dir, 'HEAD'), 'garbage\n');
    await expect(first.resolve('v1')).rejects.toThrow(/not a git repository/);
    await expect(first.fetch()).rejects.toThrow(/not a git repository/);
    first.close();

    const mirror = await openMirror(options);
    expect(await mirror.resolve('v1')).toBe(repos.origin.commits.motdChange);
    mirror.close();
    expect(await gitIn(outer, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/main\nrefs/tags/v1');
  });

  it('refuses to replace a directory that is not a Heckler mirror', async () => {
    const dir = join(repos.root, 'precious');
    mkdirSync(dir);
    writeFileSync(join(dir, 'thesis.tex'), 'years of work');
    const error = await openMirror({ url: repos.origin.path, dir, track: { branch: 'main' } }).catch(
      (rejection: unknown) => rejection,
    );
    expect(isHecklerError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toBe(`mirror directory ${dir} is not empty and is not a Heckler mirror`);
    expect(readFileSync(join(dir, 'thesis.tex'), 'utf8')).toBe('years of work');
  });

  it('clones into an empty directory and fails cleanly for an origin that does not exist', async () => {
    const dir = join(repos.root, 'nowhere');
    const error = await openMirror({
      url: join(repos.root, 'no-such-origin'),
      dir,
      track: { branch: 'main' },
      env: gitEnv(repos.root),
    }).catch((rejection: unknown) => rejection);
    // What failed, with git's own words and without its progress lines.
    expect(isHecklerError(error, 'REPO_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(
      /^could not fetch the repository .*no-such-origin: fatal: '.*no-such-origin' does not appear to be a git repository$/,
    );
    expect(existsSync(join(dir, 'HECKLER_MIRROR'))).toBe(true);
    // Pointed at the right origin later, the same directory becomes a working mirror.
    const mirror = await repos.open('nowhere', { track: { branch: 'main' } });
    expect(await mirror.resolve('v2')).toBe(repos.origin.commits.fixed);
  });

  it('refuses every call after close', async () => {
    const mirror = await repos.open('closed');
    mirror.close();
    await expect(mirror.resolve('v1')).rejects.toThrow(/abort/i);
  });
});

describe('an origin that cannot be reached', () => {
  it('fails the fetch with REPO_UNAVAILABLE, saying which repository and what to check, and keeps the mirror usable', async () => {
    const mirror = await repos.open('fetch-gone', { track: { branch: 'main' } });
    const before = await mirror.head();
    const moved = `${repos.origin.path}-moved`;
    await runOk('mv', [repos.origin.path, moved]);
    try {
      const error = await mirror.fetch().catch((e: unknown) => e);
      expect(isHecklerError(error, 'REPO_UNAVAILABLE')).toBe(true);
      expect((error as Error).message).toContain(`could not fetch the repository ${repos.origin.path}`);
      expect((error as { hint?: string }).hint).toMatch(/check repo\.url/);
      // What the mirror already had still answers.
      expect(await mirror.head()).toBe(before);
      expect(await mirror.resolve('v1')).toBe(repos.origin.commits.motdChange);
    } finally {
      await runOk('mv', [moved, repos.origin.path]);
    }
  });
});
