import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mirror } from '../../../src/adapters/git/mirror.js';
import { isHecklerError } from '../../../src/engine/errors.js';
import { runOk } from '../../support/process.js';
import { createRepos, gitEnv, type Repos } from './repos.js';

let repos: Repos;
let mirror: Mirror;
let gitLog: string;
/** Every git command line the mirror ran so far, one per line. */
const gitCalls = () => readFileSync(gitLog, 'utf8').split('\n').filter(Boolean);

// The mirror finds git through a PATH whose first entry is a wrapper that logs each command line
// before running the real git: the test sees exactly what reached git.
beforeAll(async () => {
  repos = await createRepos();
  const realGit = (await runOk('sh', ['-c', 'command -v git'])).stdout.trim();
  const bin = join(repos.root, 'bin');
  gitLog = join(repos.root, 'git-calls.log');
  mkdirSync(bin);
  writeFileSync(gitLog, '');
  writeFileSync(join(bin, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${gitLog}'\nexec '${realGit}' "$@"\n`);
  chmodSync(join(bin, 'git'), 0o755);
  const env = gitEnv(repos.root);
  mirror = await repos.open('mirror', { env: { ...env, PATH: `${bin}:${env.PATH}` } });
});
afterAll(() => repos.cleanup());

const hostile = [
  '--upload-pack=x',
  '$(reboot)',
  'a..b',
  '-rf',
  '--output=/tmp/owned',
  'v1;reboot',
  '`reboot`',
  'v1 v2',
  'v1\n--all',
  'main@{1}',
  'v1^',
  'v2~1',
  'v2:CODEOWNERS',
  '../../etc/passwd',
  '',
  'v'.repeat(101),
];

/** Every mirror method that takes a revision, called with `revision` in that place. */
const calls = (revision: string): [string, () => Promise<unknown>][] => [
  ['resolve', () => mirror.resolve(revision)],
  ['commit', () => mirror.commit(revision)],
  ['commitsBetween from', () => mirror.commitsBetween(revision, 'v2')],
  ['commitsBetween to', () => mirror.commitsBetween('v1', revision)],
  ['isAncestor', () => mirror.isAncestor(revision, 'v2')],
  ['namesAt', () => mirror.namesAt(revision)],
  ['fileAt', () => mirror.fileAt(revision, 'CODEOWNERS')],
  ['bundle', () => mirror.bundle(revision, [])],
  ['archive', () => mirror.archive(revision)],
  ['changedFiles', () => mirror.changedFiles(revision)],
  ['listFiles', () => mirror.listFiles(revision, 'manifests')],
];

describe('hostile revisions', () => {
  it.each(hostile)('refuses %j in every method before git runs', async (revision) => {
    const before = gitCalls().length;
    for (const [name, call] of calls(revision)) {
      const error = await call().then(
        () => new Error(`${name} accepted ${JSON.stringify(revision)}`),
        (rejection: unknown) => rejection,
      );
      expect(isHecklerError(error, 'UNKNOWN_REVISION'), `${name}: ${String(error)}`).toBe(true);
      expect((error as Error).message).toMatch(/ is not a revision: /);
    }
    expect(gitCalls().slice(before)).toEqual([]);
  });

  it('gives git user text only inside a full ref name, after --end-of-options', async () => {
    const before = gitCalls().length;
    await mirror.resolve('v1');
    expect(gitCalls().slice(before)).toEqual([
      'rev-parse --verify --quiet --end-of-options refs/tags/v1^{commit}',
    ]);
  });

  it('checks haves for a bundle without letting them reach git as text', async () => {
    const before = gitCalls().length;
    const bundle = await mirror.bundle('v2', [
      '--upload-pack=x',
      '$(reboot)',
      repos.origin.commits.motdChange,
    ]);
    expect(bundle.length).toBeGreaterThan(0);
    const calls = gitCalls().slice(before).join('\n');
    expect(calls).not.toContain('upload-pack');
    expect(calls).not.toContain('reboot');
    expect(calls).toContain(`^${repos.origin.commits.motdChange}`);
  });
});

describe('hostile directories for listFiles', () => {
  it.each([
    '..',
    '../origin',
    'manifests/../..',
    'manifests/..',
    '-rf',
    '--output=/tmp/owned',
    'manifests\0x',
    'manifests\n--all',
    'm'.repeat(1001),
  ])('refuses %j before git runs', async (dir) => {
    const before = gitCalls().length;
    const error = await mirror.listFiles('v2', dir).catch((rejection: unknown) => rejection);
    expect(isHecklerError(error, 'USAGE'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/ is not a directory: /);
    expect(gitCalls().slice(before)).toEqual([]);
  });

  it('gives git the directory only inside <sha>:<dir>, after --end-of-options', async () => {
    const sha = repos.origin.commits.fixed;
    const before = gitCalls().length;
    await mirror.listFiles(sha, './manifests/');
    expect(gitCalls().slice(before)).toEqual([
      `rev-parse --verify --quiet --end-of-options ${sha}^{commit}`,
      `ls-tree -r -z --end-of-options ${sha}:manifests`,
    ]);
  });
});
