import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mirror } from '../../../src/adapters/git/mirror.js';
import { isHecklerError } from '../../../src/engine/errors.js';
import { runOk } from '../../support/process.js';
import { createRepos, gitEnv, gitIn, type Repos } from './repos.js';

/**
 * Short SHAs are only ambiguous in a repository with many objects. `git fast-import` writes 1,500
 * commits, each with its own blob and tree, in one go: about 17 pairs of commits then share
 * their first four hex digits (1,500² / 2 / 65,536), and many a commit shares them with a blob.
 * Successive commits to one branch in the stream each build on the one before.
 */
const COMMITS = 1500;
const stream = (): string => {
  const parts: string[] = [];
  for (let i = 1; i <= COMMITS; i++) {
    const content = `change ${i}\n`;
    const message = `commit ${i}`;
    parts.push(
      'commit refs/heads/main',
      `committer Bulk <bulk@example.com> ${1_700_000_000 + i} +0000`,
      `data ${message.length}`,
      message,
      `M 644 inline file-${i % 7}.txt`,
      `data ${content.length}`,
      content,
    );
  }
  return `${parts.join('\n')}\n`;
};

let repos: Repos;
let origin: string;
let mirror: Mirror;
let objects: { sha: string; type: string }[];
beforeAll(async () => {
  repos = await createRepos();
  origin = join(repos.root, 'bulk');
  mkdirSync(origin);
  await gitIn(origin, 'init', '--quiet', '--initial-branch=main');
  await runOk('git', ['-C', origin, 'fast-import', '--quiet'], { input: stream(), env: gitEnv(origin) });
  const listing = await gitIn(
    origin,
    'cat-file',
    '--batch-all-objects',
    '--batch-check=%(objectname) %(objecttype)',
  );
  objects = listing.split('\n').map((line) => {
    const [sha = '', type = ''] = line.split(' ');
    return { sha, type };
  });
  mirror = await repos.open('mirror', { url: origin, track: { branch: 'main' } });
}, 60_000);
afterAll(() => repos.cleanup());

const byPrefix = () => {
  const groups = new Map<string, { sha: string; type: string }[]>();
  for (const object of objects) {
    const prefix = object.sha.slice(0, 4);
    groups.set(prefix, [...(groups.get(prefix) ?? []), object]);
  }
  return [...groups.entries()];
};

describe('short SHAs in a large repository', () => {
  it('refuses a prefix shared by two commits, naming both', async () => {
    const [prefix, group] =
      byPrefix().find(([, group]) => group.filter((o) => o.type === 'commit').length >= 2) ?? [];
    if (!prefix || !group) throw new Error('no two commits share a 4-digit prefix; raise COMMITS');
    const commits = group.filter((object) => object.type === 'commit').map((object) => object.sha);
    const error = await mirror.resolve(prefix).catch((rejection: unknown) => rejection);
    expect(isHecklerError(error, 'UNKNOWN_REVISION')).toBe(true);
    expect((error as Error).message).toMatch(
      new RegExp(`^short SHA '${prefix}' is ambiguous: it matches ${commits.length} commits`),
    );
    for (const sha of commits) expect((error as Error).message).toContain(sha.slice(0, 12));
    // Each full SHA still resolves.
    for (const sha of commits) expect(await mirror.resolve(sha)).toBe(sha);
  });

  it('resolves a prefix shared by one commit and other objects to that commit', async () => {
    const found = byPrefix().find(
      ([, group]) => group.length >= 2 && group.filter((object) => object.type === 'commit').length === 1,
    );
    if (!found) throw new Error('no commit shares a 4-digit prefix with a tree or blob; raise COMMITS');
    const [prefix, group] = found;
    const commit = group.find((object) => object.type === 'commit');
    expect(await mirror.resolve(prefix)).toBe(commit?.sha);
  });

  it('does not take a prefix that only names a blob or tree', async () => {
    const found = byPrefix().find(([, group]) => group.every((object) => object.type !== 'commit'));
    if (!found) throw new Error('every prefix names a commit');
    const error = await mirror.resolve(found[0]).catch((rejection: unknown) => rejection);
    expect((error as Error).message).toMatch(new RegExp(`^unknown revision '${found[0]}'`));
  });
});
