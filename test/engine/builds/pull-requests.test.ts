import { describe, expect, it } from 'vitest';
import {
  hostRepos,
  type PullRequest,
  pullRequestBranch,
  pullRequestTrigger,
} from '../../../src/engine/builds/pull-requests.js';
import type { WatchedRepo } from '../../../src/engine/builds/watch.js';

const pr = (fork: boolean): PullRequest => ({
  repo: 'acme/api',
  number: 12,
  headSha: 'a'.repeat(40),
  headRef: 'main',
  baseRef: 'main',
  author: 'octocat',
  fork,
});

describe('a pull request as a build', () => {
  it.each<[string, boolean, string, unknown]>([
    ['from a branch of the repository', false, 'main', { kind: 'pull_request', by: 'PR #12 by @octocat' }],
    ['from a fork', true, 'pull/12', { kind: 'pull_request', by: 'PR #12 by @octocat', untrusted: true }],
  ])('%s builds as %s', (_what, fork, branch, trigger) => {
    expect(pullRequestBranch(pr(fork))).toBe(branch);
    expect(pullRequestTrigger(pr(fork))).toEqual(trigger);
  });
});

describe('watched repositories by their name on GitHub', () => {
  const repos: WatchedRepo[] = [
    { name: 'infra/api', url: 'https://github.com/Acme/API.git', source: 'config' },
    { name: 'infra/web', url: 'git@ghe.example.com:web/site.git', source: 'config' },
    { name: 'infra/mapped', url: '/srv/git/mapped', source: 'config' },
    { name: 'puppet', url: 'https://github.com/acme/puppet.git', source: 'config', builtOnReview: true },
  ];
  const registry = { all: async () => repos };

  it.each<[string, string | undefined, string[]]>([
    ['acme/api', undefined, ['infra/api']],
    ['ACME/api', undefined, ['infra/api']],
    ['web/site', undefined, []],
    ['web/site', 'https://ghe.example.com/api/v3', ['infra/web']],
    ['acme/mapped', undefined, ['infra/mapped']],
    ['acme/puppet', undefined, []],
    ['acme/other', undefined, []],
  ])('%s (apiUrl %s) is %j', async (hostRepo, apiUrl, names) => {
    const { watchedAs } = hostRepos(registry, {
      repos: { 'infra/mapped': 'acme/mapped' },
      ...(apiUrl ? { apiUrl } : {}),
    });
    expect((await watchedAs(hostRepo)).map((repo) => repo.name)).toEqual(names);
  });
});
