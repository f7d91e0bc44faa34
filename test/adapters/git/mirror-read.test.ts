import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mirror } from '../../../src/adapters/git/mirror.js';
import { isHecklerError } from '../../../src/engine/errors.js';
import { runOk } from '../../support/process.js';
import { people } from '../../support/puppet-repo.js';
import { createRepos, type Repos } from './repos.js';

let repos: Repos;
beforeAll(async () => {
  repos = await createRepos();
});
afterAll(() => repos.cleanup());

const rejection = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
};

const tarNames = async (tar: Buffer): Promise<string[]> => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-tar-'));
  try {
    writeFileSync(join(dir, 'x.tar'), tar);
    return (await runOk('tar', ['-tf', join(dir, 'x.tar')])).stdout.split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

// The same questions against a mirror cloned from a plain path and one cloned from a file:// URL.
describe.each(['path', 'url'] as const)('a mirror of every branch, cloned from a %s', (how) => {
  let mirror: Mirror;
  beforeAll(async () => {
    mirror = await repos.open(`mirror-${how}`, {
      url: how === 'path' ? repos.origin.path : repos.origin.url,
    });
  });
  const c = () => repos.origin.commits;

  it('resolves annotated and lightweight tags to the commit', async () => {
    expect(repos.origin.tags.v1.annotated).toBe(true);
    expect(repos.origin.tags.v2.annotated).toBe(false);
    expect(await mirror.resolve('v1')).toBe(c().motdChange);
    expect(await mirror.resolve('v1.1')).toBe(c().hotfix);
    expect(await mirror.resolve('v2')).toBe(c().fixed);
  });

  it('resolves branches, full SHAs and short SHAs', async () => {
    expect(await mirror.resolve('main')).toBe(c().fixed);
    expect(await mirror.resolve('feature/x')).toBe(c().feature);
    expect(await mirror.resolve('hotfix/v1.1')).toBe(c().hotfix);
    expect(await mirror.resolve(c().merge)).toBe(c().merge);
    expect(await mirror.resolve(c().merge.slice(0, 7))).toBe(c().merge);
    expect(await mirror.resolve(c().owners.slice(0, 12).toUpperCase())).toBe(c().owners);
  });

  it.each([
    ['v9', "unknown revision 'v9' (did you mean 'v1'?); latest tags: v1.1, v2, v1"],
    ['v1.2', "unknown revision 'v1.2' (did you mean 'v1.1'?); latest tags: v1.1, v2, v1"],
    ['mian', "unknown revision 'mian' (did you mean 'main'?); latest tags: v1.1, v2, v1"],
    ['feature/z', "unknown revision 'feature/z' (did you mean 'feature/x'?); latest tags: v1.1, v2, v1"],
    ['deadbeef', "unknown revision 'deadbeef'; latest tags: v1.1, v2, v1"],
    [
      '0000000000000000000000000000000000000000',
      `unknown revision '${'0'.repeat(40)}'; latest tags: v1.1, v2, v1`,
    ],
  ])('refuses the unknown revision %s with suggestions', async (revision, message) => {
    const error = await rejection(mirror.resolve(revision));
    expect(isHecklerError(error, 'UNKNOWN_REVISION')).toBe(true);
    expect((error as Error).message).toBe(message);
  });

  it('lists the commits between v1 and v2 oldest first, the merge and its branch included', async () => {
    const all = await mirror.commitsBetween('v1', 'v2');
    expect(all.map((commit) => commit.sha)).toEqual([
      c().feature,
      c().merge,
      c().coauthored,
      c().owners,
      c().broken,
      c().fixed,
    ]);
    const merge = all[1];
    expect(merge?.parents).toEqual([c().motdChange, c().feature]);
    expect(merge?.subject).toBe("Merge branch 'feature/x'");
    const firstParent = await mirror.commitsBetween(c().motdChange, c().fixed, { firstParent: true });
    expect(firstParent.map((commit) => commit.sha)).toEqual([
      c().merge,
      c().coauthored,
      c().owners,
      c().broken,
      c().fixed,
    ]);
  });

  it("lists all of a commit's history when there is no start", async () => {
    const history = await mirror.commitsBetween(undefined, 'v1');
    expect(history.map((commit) => commit.sha)).toEqual([c().initial, c().motdChange]);
  });

  it('knows which releases contain which', async () => {
    expect(await mirror.isAncestor('v1.1', 'v2')).toBe(false);
    expect(await mirror.isAncestor('v2', 'v1.1')).toBe(false);
    expect(await mirror.isAncestor('v1', 'v2')).toBe(true);
    expect(await mirror.isAncestor('v1', 'v1.1')).toBe(true);
    expect(await mirror.isAncestor('v2', 'v2')).toBe(true);
    expect(isHecklerError(await rejection(mirror.isAncestor('v1', 'v9')), 'UNKNOWN_REVISION')).toBe(true);
  });

  it('names the tags and branches at a commit', async () => {
    expect(await mirror.namesAt(c().motdChange)).toEqual({ tags: ['v1'], branches: [] });
    expect(await mirror.namesAt(c().fixed)).toEqual({ tags: ['v2'], branches: ['main'] });
    expect(await mirror.namesAt('v1.1')).toEqual({ tags: ['v1.1'], branches: ['hotfix/v1.1'] });
    expect(await mirror.namesAt(c().broken)).toEqual({ tags: [], branches: [] });
  });

  it('reads a commit with its co-authors', async () => {
    const commit = await mirror.commit(c().coauthored);
    expect(commit).toEqual({
      sha: c().coauthored,
      shortSha: c().coauthored.slice(0, 7),
      subject: 'site: make node2 the canary',
      body: 'Co-authored-by: Dave <dave@example.com>',
      author: { name: people.erin.name, email: people.erin.email },
      committer: { name: people.erin.name, email: people.erin.email },
      coAuthors: [{ name: people.dave.name, email: people.dave.email }],
      parents: [c().merge],
      date: commit.date,
    });
    expect(new Date(commit.date).getUTCFullYear()).toBe(2024);
    expect((await mirror.commit('v1')).coAuthors).toEqual([]);
  });

  it('orders tags by commit date and lists branches', async () => {
    expect(await mirror.latestTags(2)).toEqual(['v1.1', 'v2']);
    expect(await mirror.latestTags(10)).toEqual(['v1.1', 'v2', 'v1']);
    expect(await mirror.branches()).toEqual(repos.origin.branches);
    expect(await mirror.head()).toBe(c().fixed);
  });

  it('reads CODEOWNERS as it was at each commit', async () => {
    expect(await mirror.fileAt(c().initial, 'CODEOWNERS')).toContain('modules/webapp/ @bob\n');
    expect(await mirror.fileAt('v2', 'CODEOWNERS')).toContain('modules/webapp/ @bob @erin\n');
    expect(await mirror.fileAt('v2', './CODEOWNERS')).toContain('@erin');
    expect(await mirror.fileAt('v2', 'NOPE')).toBeUndefined();
    expect(await mirror.fileAt('v2', 'modules')).toBeUndefined();
    expect(isHecklerError(await rejection(mirror.fileAt('v9', 'CODEOWNERS')), 'UNKNOWN_REVISION')).toBe(true);
  });

  it('lists the files a commit changed against its first parent', async () => {
    expect(await mirror.changedFiles(c().initial)).toEqual([
      'CODEOWNERS',
      'README.md',
      'manifests/site.pp',
      'modules/motd/manifests/init.pp',
      'modules/webapp/manifests/init.pp',
    ]);
    expect(await mirror.changedFiles(c().owners)).toEqual(['CODEOWNERS']);
    // The merge brought feature/x's change into main.
    expect(await mirror.changedFiles(c().merge)).toEqual(['modules/webapp/manifests/init.pp']);
  });

  it('archives the tree as a tar', async () => {
    const names = await tarNames(await mirror.archive('v2'));
    expect(names).toContain('manifests/site.pp');
    expect(names).toContain('modules/motd/manifests/init.pp');
  });
});

describe('a mirror of one branch', () => {
  let mirror: Mirror;
  beforeAll(async () => {
    mirror = await repos.open('mirror-main', { track: { branch: 'main' } });
  });

  it('has that branch and every tag, and nothing else', async () => {
    expect(await mirror.branches()).toEqual({ main: repos.origin.commits.fixed });
    expect(await mirror.head()).toBe(repos.origin.commits.fixed);
    expect(await mirror.resolve('v1.1')).toBe(repos.origin.commits.hotfix);
    const error = await rejection(mirror.resolve('feature/x'));
    expect((error as Error).message).toBe("unknown revision 'feature/x'; latest tags: v1.1, v2, v1");
  });

  it('still finds commits of other branches that tags reach, by SHA', async () => {
    expect(await mirror.resolve(repos.origin.commits.hotfix.slice(0, 8))).toBe(repos.origin.commits.hotfix);
  });
});
