import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubForPuppetRepo } from '../../../src/adapters/github/puppet-repo.js';
import { FakeGitHubApi } from '../../fakes/github-api.js';
import { captureLogger } from '../../support/logger.js';

/** Which GitHub the Puppet repository's commits are asked about, built from `repo` and the token. */
const TOKEN = 'ghp_puppet0repo0token';
const SHA = '7'.repeat(40);
let github: FakeGitHubApi;

beforeAll(async () => {
  github = await FakeGitHubApi.start({ token: TOKEN });
  github.addCommit('infra/puppet', SHA, { authorLogin: 'alice', verified: true });
});

afterAll(async () => {
  await github?.stop();
});

describe('githubForPuppetRepo', () => {
  it('asks the configured API about repo.github.repo, with the token', async () => {
    const { logger } = captureLogger();
    const found = githubForPuppetRepo({
      repo: { url: '/srv/puppet.git', github: { repo: 'infra/puppet', apiUrl: github.url } },
      token: TOKEN,
      logger,
    });
    expect(found?.repo).toBe('infra/puppet');
    expect(await found?.host.commitIdentity(found.repo, SHA)).toMatchObject({
      authorLogin: 'alice',
      verified: true,
    });
    expect(github.commitReads.at(-1)).toMatchObject({
      owner: 'infra',
      repo: 'puppet',
      authorization: `token ${TOKEN}`,
    });
  });

  it('takes owner/name from a github.com url when repo.github does not name it', () => {
    const { logger } = captureLogger();
    const url = 'git@github.com:infra/puppet.git';
    expect(githubForPuppetRepo({ repo: { url }, token: TOKEN, logger })?.repo).toBe('infra/puppet');
    const github = { apiUrl: 'https://api.github.com' };
    expect(githubForPuppetRepo({ repo: { url, github }, token: TOKEN, logger })?.repo).toBe('infra/puppet');
    const named = { repo: 'infra/other', apiUrl: 'https://api.github.com' };
    expect(githubForPuppetRepo({ repo: { url, github: named }, token: TOKEN, logger })?.repo).toBe(
      'infra/other',
    );
  });

  it('is undefined for a repository not on GitHub, quietly', () => {
    const { logger, lines } = captureLogger();
    expect(githubForPuppetRepo({ repo: { url: '/srv/puppet.git' }, token: TOKEN, logger })).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it('is undefined without a token, and says so when repo.github asked for GitHub', () => {
    const quiet = captureLogger();
    const url = 'https://github.com/infra/puppet.git';
    expect(githubForPuppetRepo({ repo: { url }, token: undefined, logger: quiet.logger })).toBeUndefined();
    expect(quiet.lines).toEqual([]);
    const loud = captureLogger();
    const repo = { url, github: { repo: 'infra/puppet', apiUrl: github.url } };
    expect(githubForPuppetRepo({ repo, token: undefined, logger: loud.logger })).toBeUndefined();
    expect(loud.text()).toMatch(/repo\.github is set but GITHUB_TOKEN is not/);
  });
});
