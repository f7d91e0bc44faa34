import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { puppetGithubRepo } from '../../../src/config/fleet-schema.js';
import { loadConfig, secretValues } from '../../../src/config/load.js';

/** heckler.yml and the environment for webhooks: the secret, slower polling, `github.webhook`, secret env. */
const dir = mkdtempSync(join(tmpdir(), 'hk-ghconfig-'));
let files = 0;
const load = (yaml: string, env: NodeJS.ProcessEnv = {}) => {
  const path = join(dir, `c${++files}.yml`);
  writeFileSync(path, yaml);
  return loadConfig({ argv: ['--config', path], env, defaultPath: path });
};
const problems = (yaml: string, env: NodeJS.ProcessEnv = {}): string => {
  try {
    load(yaml, env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
};
const MINUTE = 60_000;
const REPO = 'repo:\n  url: https://github.com/acme/puppet.git\n';

describe('polling with and without webhooks', () => {
  it.each<[string, string, NodeJS.ProcessEnv, number, number]>([
    ['no webhook secret: every minute', REPO, {}, MINUTE, MINUTE],
    [
      'a webhook secret: every 10 minutes, as a fallback',
      REPO,
      { GITHUB_WEBHOOK_SECRET: 'w' },
      10 * MINUTE,
      10 * MINUTE,
    ],
    [
      'values in the file win',
      `${REPO}  fetchEvery: 2m\nbuilds:\n  pollEvery: 30s\n`,
      { GITHUB_WEBHOOK_SECRET: 'w' },
      2 * MINUTE,
      30_000,
    ],
  ])('%s', (_what, yaml, env, fetchEvery, pollEvery) => {
    const config = load(yaml, env);
    expect(config.repo?.fetchEvery).toBe(fetchEvery);
    expect(config.builds.pollEvery).toBe(pollEvery);
  });

  it('reads GITHUB_WEBHOOK_SECRET as a secret, masked in logs', () => {
    const config = load('chat:\n  channel: C1\n', { GITHUB_WEBHOOK_SECRET: 'whsec-abc' });
    expect(config.secrets.githubWebhookSecret).toBe('whsec-abc');
    expect(secretValues(config.secrets)).toContain('whsec-abc');
  });

  it('refuses the secret written into heckler.yml, naming the variable', () => {
    expect(problems('github:\n  webhookSecret: abc\n')).toMatch(
      /github\.webhookSecret: secrets do not belong in heckler\.yml; set the environment variable GITHUB_WEBHOOK_SECRET/,
    );
  });
});

describe('github.webhook', () => {
  it('defaults to a 1 MiB cap and a 24 h replay window', () => {
    expect(load('chat:\n  channel: C1\n').github).toEqual({
      webhook: { maxBytes: 1024 ** 2, replayWindow: 24 * 60 * MINUTE },
    });
  });

  it('takes sizes and durations as written elsewhere', () => {
    expect(load('github:\n  webhook:\n    maxBytes: 256KiB\n    replayWindow: 2h\n').github.webhook).toEqual({
      maxBytes: 256 * 1024,
      replayWindow: 2 * 60 * MINUTE,
    });
  });

  it.each<[string, RegExp]>([
    [
      'github:\n  webhook:\n    maxBytes: lots\n',
      /github\.webhook\.maxBytes: expected a size of at least 1KiB/,
    ],
    ['github:\n  webhook:\n    path: /hook\n', /github\.webhook\.path: unknown key/],
  ])('names the key of a bad value: %s', (yaml, message) => {
    expect(problems(yaml)).toMatch(message);
  });
});

describe('builds.repos[].secretEnv', () => {
  const yaml =
    'builds:\n  repos:\n    - { name: infra/api, url: /srv/api, secretEnv: [DEPLOY_TOKEN, NPM_TOKEN] }\n';

  it('reads each named variable for that repository, masked in logs', () => {
    const config = load(yaml, { DEPLOY_TOKEN: 'dt-1', NPM_TOKEN: 'npm-2' });
    expect(config.secrets.buildEnv).toEqual({ 'infra/api': { DEPLOY_TOKEN: 'dt-1', NPM_TOKEN: 'npm-2' } });
    expect(secretValues(config.secrets)).toEqual(expect.arrayContaining(['dt-1', 'npm-2']));
  });

  it('names a variable that is not set', () => {
    expect(problems(yaml, { DEPLOY_TOKEN: 'dt-1' })).toMatch(
      /builds\.repos\[0\]\.secretEnv: NPM_TOKEN is not set in the environment/,
    );
  });

  it('refuses a name that is not an environment variable name', () => {
    expect(problems('builds:\n  repos:\n    - { name: a/b, url: /x, secretEnv: [lower-case] }\n')).toMatch(
      /builds\.repos\[0\]\.secretEnv\[0\]/,
    );
  });
});

describe('GitHub Enterprise', () => {
  it("recognises the Puppet repository from apiUrl's host, without repo.github.repo", () => {
    const config = load(
      'repo:\n  url: git@ghe.example.com:infra/puppet.git\n  github:\n    apiUrl: https://ghe.example.com/api/v3\n',
    );
    expect(config.repo && puppetGithubRepo(config.repo)).toBe('infra/puppet');
  });

  it('still asks for repo.github.repo when the URL is on another host', () => {
    expect(
      problems(
        'repo:\n  url: git@git.example.com:infra/puppet.git\n  github:\n    apiUrl: https://ghe.example.com/api/v3\n',
      ),
    ).toMatch(/repo\.github\.repo: expected the GitHub owner\/repo/);
  });
});
