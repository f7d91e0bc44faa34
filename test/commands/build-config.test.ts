import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, secretValues } from '../../src/config/load.js';

/** The `builds:` section of heckler.yml: defaults, problems named by key path, registry secrets. */
const dir = mkdtempSync(join(tmpdir(), 'hk-bconfig-'));
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

describe('builds config', () => {
  it('has working defaults when the section is absent', () => {
    expect(load('chat:\n  channel: C1\n').builds).toEqual({
      repos: [],
      allowedUrls: [],
      docker: { hosts: [{ address: 'unix:///var/run/docker.sock', capacity: 4 }], network: 'none' },
      limits: { global: 4, perRepo: 2 },
      registries: [],
      logLimit: 4 * 1024 * 1024,
      pollEvery: 60_000,
      janitor: { every: 3_600_000, imageAge: 7 * 86_400_000 },
      github: { apiUrl: 'https://api.github.com', statuses: true, repos: {} },
      resources: {
        memory: 2 * 1024 ** 3,
        cpus: 2,
        pids: 1024,
        timeout: 3_600_000,
        max: { memory: 8 * 1024 ** 3, cpus: 4, pids: 4096, timeout: 14_400_000 },
      },
    });
  });

  it('reads repos, sizes and durations', () => {
    const { builds } = load(
      'builds:\n  repos:\n    - { name: infra/api, url: /srv/git/api.git, branches: [main, "release/.*"] }\n' +
        '  logLimit: 512KiB\n  pollEvery: 30s\n  channel: C0BUILDS\n',
    );
    expect(builds.repos).toEqual([
      { name: 'infra/api', url: '/srv/git/api.git', branches: ['main', 'release/.*'] },
    ]);
    expect(builds).toMatchObject({ logLimit: 512 * 1024, pollEvery: 30_000, channel: 'C0BUILDS' });
  });

  it.each([
    [
      'builds:\n  repos:\n    - { name: api, url: /x }\n',
      /builds\.repos\[0\]\.name: expected a repository name such as infra\/api/,
    ],
    [
      'builds:\n  repos:\n    - { name: a/b, url: /x, branches: ["(x"] }\n',
      /builds\.repos\[0\]\.branches\[0\]: expected a regular expression, found "\(x"/,
    ],
    [
      'builds:\n  repos:\n    - { name: a/b, url: /x, branches: ["(?!wip/).*"] }\n',
      /builds\.repos\[0\]\.branches\[0\]: expected a regular expression, found "\(\?!wip\/\)\.\*": it cannot be matched in linear time \(invalid or unsupported Perl syntax: `\(\?!`\)/,
    ],
    [
      'builds:\n  allowedUrls: [github.com/acme/, file:///srv/git]\n',
      /builds\.allowedUrls\[1\]: expected a host or a host and path prefix such as github\.com\/acme\/ or git\.example\.com; local paths and file:\/\/ URLs belong in builds\.repos, found "file:\/\/\/srv\/git"/,
    ],
    [
      'builds:\n  docker:\n    hosts: [{ address: docker.sock }]\n',
      /builds\.docker\.hosts\[0\]\.address: expected a Docker address/,
    ],
    ['builds:\n  logLimit: 4 megs\n', /builds\.logLimit: expected a size of at least 1KiB such as 4MiB/],
    ['builds:\n  pollEvery: soon\n', /builds\.pollEvery: expected a duration such as 30s/],
    ['builds:\n  limits: { global: 0 }\n', /builds\.limits\.global: expected a number >= 1/],
    ['builds:\n  gihub: {}\n', /builds\.gihub: unknown key \(did you mean 'github'\?\)/],
  ])('names the key of a bad value: %s', (yaml, expected) => {
    expect(problems(yaml)).toMatch(expected);
  });

  it('reads registry passwords from the named variables into the secrets, for masking', () => {
    const yaml =
      'builds:\n  registries:\n    - { host: registry.example.com, username: ci, passwordEnv: REGISTRY_PASSWORD }\n';
    const config = load(yaml, { REGISTRY_PASSWORD: 's3cret-registry-pw' });
    expect(config.secrets.registry).toEqual({
      'registry.example.com': { username: 'ci', password: 's3cret-registry-pw' },
    });
    expect(secretValues(config.secrets)).toContain('s3cret-registry-pw');
    expect(problems(yaml)).toMatch(
      /builds\.registries\[0\]\.passwordEnv: REGISTRY_PASSWORD is not set in the environment/,
    );
  });
});
