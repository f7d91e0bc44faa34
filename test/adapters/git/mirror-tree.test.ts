import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mirror, openMirror } from '../../../src/adapters/git/mirror.js';
import { isHecklerError } from '../../../src/engine/errors.js';
import { runOk } from '../../support/process.js';
import { gitEnv } from './repos.js';

/**
 * Committers and trees, against an origin built here: its commits are made by someone other than
 * their authors (as a rebase or a web UI merge leaves them), and its tree holds the awkward cases:
 * nested directories, a symlink, a submodule, names with spaces and non-ASCII letters.
 */
const ALICE = { name: 'Alice Archer', email: 'alice@example.com' };
const MERGER = { name: 'Web Merge', email: 'noreply@github.example.com' };

let root: string;
let mirror: Mirror;
const commits: Record<'first' | 'second', string> = { first: '', second: '' };

const git = async (dir: string, ...args: string[]) => {
  const env = {
    ...gitEnv(root),
    GIT_AUTHOR_NAME: ALICE.name,
    GIT_AUTHOR_EMAIL: ALICE.email,
    GIT_COMMITTER_NAME: MERGER.name,
    GIT_COMMITTER_EMAIL: MERGER.email,
  };
  return (await runOk('git', ['-C', dir, ...args], { env })).stdout.trim();
};

const write = (base: string, files: Record<string, string>) => {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(base, path)), { recursive: true });
    writeFileSync(join(base, path), content);
  }
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'heckler-tree-'));
  const origin = join(root, 'origin');
  await runOk('git', ['init', '--quiet', '--initial-branch=main', origin], { env: gitEnv(root) });
  write(origin, {
    'manifests/site.pp': 'node default {}\n',
    'manifests/nodes/web.pp': 'node /^web\\d+/ {}\n',
    'manifests/odd dir/ünïcode.pp': "node 'odd' {}\n",
    'modules/motd/manifests/init.pp': 'class motd {}\n',
    'README.md': 'hello\n',
  });
  symlinkSync('site.pp', join(origin, 'manifests/current.pp'));
  await git(origin, 'add', '.');
  // A submodule is a commit in the tree, not a file: it must not be listed.
  await git(origin, 'update-index', '--add', '--cacheinfo', `160000,${'1'.repeat(40)},manifests/vendored`);
  await git(origin, 'commit', '--quiet', '--no-verify', '-m', 'first');
  commits.first = await git(origin, 'rev-parse', 'HEAD');
  await git(origin, 'rm', '--quiet', '-r', 'manifests');
  await git(origin, 'commit', '--quiet', '--no-verify', '-m', 'manifests gone');
  commits.second = await git(origin, 'rev-parse', 'HEAD');
  mirror = await openMirror({
    url: origin,
    dir: join(root, 'mirror'),
    track: { branch: 'main' },
    env: gitEnv(root),
  });
});

afterAll(() => {
  mirror?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('commits carry their committer', () => {
  it('reads the committer apart from the author', async () => {
    const commit = await mirror.commit(commits.first);
    expect(commit.author).toEqual(ALICE);
    expect(commit.committer).toEqual(MERGER);
    const [listed] = await mirror.commitsBetween(undefined, commits.first);
    expect(listed?.committer).toEqual(MERGER);
  });
});

describe('listFiles', () => {
  const manifests = [
    'manifests/current.pp',
    'manifests/nodes/web.pp',
    'manifests/odd dir/ünïcode.pp',
    'manifests/site.pp',
  ];

  it('lists the files under a directory recursively, from the root, symlinks in, submodules out', async () => {
    expect(await mirror.listFiles(commits.first, 'manifests')).toEqual(manifests);
    expect(await mirror.listFiles(commits.first, 'manifests/nodes')).toEqual(['manifests/nodes/web.pp']);
    expect(await mirror.listFiles(commits.first, 'manifests/odd dir')).toEqual([
      'manifests/odd dir/ünïcode.pp',
    ]);
  });

  it.each(['./manifests', 'manifests/', '/manifests', './manifests//'])(
    'reads %j as manifests',
    async (dir) => {
      expect(await mirror.listFiles(commits.first, dir)).toEqual(manifests);
    },
  );

  it('lists the whole tree for the root', async () => {
    const all = ['README.md', ...manifests, 'modules/motd/manifests/init.pp'];
    expect(await mirror.listFiles(commits.first, '')).toEqual(all);
    expect(await mirror.listFiles(commits.first, '.')).toEqual(all);
  });

  it('answers [] for a directory missing at that commit, a file, or a partial name', async () => {
    expect(await mirror.listFiles(commits.second, 'manifests')).toEqual([]);
    expect(await mirror.listFiles(commits.first, 'nope')).toEqual([]);
    expect(await mirror.listFiles(commits.first, 'README.md')).toEqual([]);
    expect(await mirror.listFiles(commits.first, 'manifest')).toEqual([]);
    expect(await mirror.listFiles('main', '')).toEqual(['README.md', 'modules/motd/manifests/init.pp']);
  });

  it('refuses an unknown revision', async () => {
    const error = await mirror.listFiles('v9', 'manifests').catch((rejection: unknown) => rejection);
    expect(isHecklerError(error, 'UNKNOWN_REVISION')).toBe(true);
  });
});
