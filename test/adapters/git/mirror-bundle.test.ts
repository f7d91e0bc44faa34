import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mirror } from '../../../src/adapters/git/mirror.js';
import { run } from '../../support/process.js';
import { createRepos, gitEnv, gitIn, type Repos } from './repos.js';

let repos: Repos;
let mirror: Mirror;
beforeAll(async () => {
  repos = await createRepos();
  mirror = await repos.open('mirror');
});
afterAll(() => repos.cleanup());

/** The number of objects in a bundle's pack: the 4-byte count after "PACK" and the version. */
const objectCount = (bundle: Buffer): number => {
  const pack = bundle.indexOf('\n\nPACK');
  if (pack < 0) throw new Error('no pack in the bundle');
  return bundle.readUInt32BE(pack + 2 + 8);
};

let scratchCount = 0;
/** A repository that has v1's history and nothing newer, as a node checked out at v1 would. */
const scratchAtV1 = async (): Promise<string> => {
  const dir = join(repos.root, `scratch-${scratchCount++}`);
  mkdirSync(dir);
  await gitIn(dir, 'init', '--quiet');
  await gitIn(dir, 'fetch', '--quiet', '--no-tags', repos.origin.path, 'refs/tags/v1:refs/tags/v1');
  await gitIn(dir, 'checkout', '--quiet', '--detach', 'v1');
  return dir;
};

const save = (bundle: Buffer, name: string): string => {
  const file = join(repos.root, name);
  writeFileSync(file, bundle);
  return file;
};

const gitRun = (dir: string, ...args: string[]) => run('git', ['-C', dir, ...args], { env: gitEnv(dir) });

describe('bundle', () => {
  it('carries v2 without what a repository at v1 already has, and that repository can check v2 out', async () => {
    const { motdChange: v1, fixed: v2 } = repos.origin.commits;
    const scratch = await scratchAtV1();
    expect((await gitRun(scratch, 'cat-file', '-e', `${v2}^{commit}`)).code).not.toBe(0);

    const thin = await mirror.bundle('v2', [v1]);
    const full = await mirror.bundle('v2', []);
    // Six new commits and what they changed, against all eight commits and every tree and blob.
    expect(objectCount(thin)).toBeLessThan(objectCount(full) * 0.7);
    expect(thin.length).toBeLessThan(full.length);

    const file = save(thin, 'v2-thin.bundle');
    const verify = await gitRun(scratch, 'bundle', 'verify', file);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain(v2);
    await gitIn(scratch, 'fetch', '--quiet', file, v2);
    await gitIn(scratch, 'checkout', '--quiet', '--detach', v2);
    expect(await gitIn(scratch, 'rev-parse', 'HEAD')).toBe(v2);
    expect(await gitIn(scratch, 'show', 'HEAD:CODEOWNERS')).toContain('@bob @erin');
  });

  it('needs the haves: a repository without v1 refuses the thin bundle', async () => {
    const empty = join(repos.root, 'empty');
    mkdirSync(empty);
    await gitIn(empty, 'init', '--quiet');
    const file = save(await mirror.bundle('v2', [repos.origin.commits.motdChange]), 'v2-needs-v1.bundle');
    const verify = await gitRun(empty, 'bundle', 'verify', file);
    expect(verify.code).not.toBe(0);
    expect(verify.stderr).toContain(repos.origin.commits.motdChange);
  });

  it('ignores haves the mirror does not know, and haves that already contain the commit', async () => {
    const { motdChange: v1, fixed: v2 } = repos.origin.commits;
    const unknownHaves = ['0123456789abcdef0123456789abcdef01234567', 'not-a-sha', '', v1];
    const file = save(await mirror.bundle(v2, unknownHaves), 'v2-unknown-haves.bundle');
    const scratch = await scratchAtV1();
    expect((await gitRun(scratch, 'bundle', 'verify', file)).code).toBe(0);
    await gitIn(scratch, 'fetch', '--quiet', file, v2);

    // The receiver is ahead (has v2, wants v1): the bundle cannot subtract v2, so it is a full one.
    const behind = save(await mirror.bundle('v1', [v2]), 'v1-behind.bundle');
    const empty = join(repos.root, 'empty-2');
    mkdirSync(empty);
    await gitIn(empty, 'init', '--quiet');
    await gitIn(empty, 'fetch', '--quiet', behind, v1);
    expect(await gitIn(empty, 'rev-parse', `${v1}^{commit}`)).toBe(v1);
  });

  it('builds concurrent bundles and leaves no scratch refs behind', async () => {
    const { motdChange, hotfix, fixed, feature } = repos.origin.commits;
    const bundles = await Promise.all([
      mirror.bundle(fixed, [motdChange]),
      mirror.bundle(hotfix, [motdChange]),
      mirror.bundle(feature, []),
      mirror.bundle(fixed, []),
    ]);
    expect(bundles.every((bundle) => bundle.subarray(0, 16).toString() === '# v2 git bundle\n')).toBe(true);
    const refs = await run('git', ['--git-dir', join(repos.root, 'mirror'), 'for-each-ref', 'refs/heckler/']);
    expect(refs.stdout).toBe('');
  });
});

describe('bundle after a large change', () => {
  it('leaves the large blob the receiver already has out of the bundle', async () => {
    // 512 KiB of incompressible data, committed once: a receiver at that commit must not get it again.
    writeFileSync(join(repos.origin.path, 'blob.bin'), randomBytes(512 * 1024));
    await gitIn(repos.origin.path, 'add', 'blob.bin');
    await gitIn(repos.origin.path, 'commit', '--quiet', '-m', 'add a large file');
    const large = await gitIn(repos.origin.path, 'rev-parse', 'HEAD');
    writeFileSync(join(repos.origin.path, 'NEWS.md'), 'small change\n');
    await gitIn(repos.origin.path, 'add', 'NEWS.md');
    await gitIn(repos.origin.path, 'commit', '--quiet', '-m', 'a small change');
    await mirror.fetch();

    const thin = await mirror.bundle('main', [large]);
    const full = await mirror.bundle('main', []);
    expect(full.length).toBeGreaterThan(512 * 1024);
    expect(thin.length).toBeLessThan(full.length / 50);
  });
});
