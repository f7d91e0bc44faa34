import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resourcePolicy } from '../../src/config/builds-resources.js';
import { loadConfig } from '../../src/config/load.js';
import { HecklerError } from '../../src/engine/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'heckler-resources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const load = (yaml: string, env: NodeJS.ProcessEnv = {}) => {
  files += 1;
  const path = join(dir, `c${files}.yml`);
  writeFileSync(path, yaml);
  return loadConfig({ argv: ['--config', path], env, defaultPath: path });
};

const problems = (yaml: string, env: NodeJS.ProcessEnv = {}): string[] => {
  try {
    load(yaml, env);
  } catch (error) {
    if (!(error instanceof HecklerError)) throw error;
    return error.message
      .split('\n')
      .slice(1)
      .map((line) => line.replace(/^ {2}- /, ''));
  }
  throw new Error('expected the config to be refused');
};

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('builds.resources and builds.repos[].resources', () => {
  it('defaults to 2 GiB, 2 CPUs, 1024 pids and 1h, within 8 GiB, 4 CPUs, 4096 pids and 4h', () => {
    const { builds } = load('{}');
    expect(resourcePolicy(builds)).toEqual({
      defaults: { memoryBytes: 2 * GiB, cpus: 2, pids: 1024, timeoutMs: 3_600_000 },
      max: { memoryBytes: 8 * GiB, cpus: 4, pids: 4096, timeoutMs: 4 * 3_600_000 },
      repos: {},
    });
  });

  it('reads Docker-style sizes, per repository values and partial maxima', () => {
    const { builds } = load(
      [
        'builds:',
        '  resources: { memory: 512m, cpus: 1.5, timeout: 30m, max: { memory: 16g, timeout: 2h } }',
        '  repos:',
        '    - { name: infra/api, url: /srv/api.git, resources: { memory: 12GiB, pids: 2048 } }',
        '    - { name: infra/web, url: /srv/web.git }',
      ].join('\n'),
    );
    expect(resourcePolicy(builds)).toEqual({
      defaults: { memoryBytes: 512 * MiB, cpus: 1.5, pids: 1024, timeoutMs: 1_800_000 },
      max: { memoryBytes: 16 * GiB, cpus: 4, pids: 4096, timeoutMs: 2 * 3_600_000 },
      repos: { 'infra/api': { memoryBytes: 12 * GiB, pids: 2048 } },
    });
  });

  it('refuses values above the maxima at start-up, naming the key and the maximum', () => {
    expect(
      problems(
        [
          'builds:',
          '  resources: { pids: 5000, max: { cpus: 2 } }',
          '  repos:',
          '    - { name: a/b, url: /srv/b.git, resources: { memory: 16g, cpus: 3, timeout: 5h } }',
        ].join('\n'),
      ),
    ).toEqual([
      'builds.resources.pids: expected at most 4096, the maximum set in builds.resources.max.pids, found a number (5000)',
      'builds.repos[0].resources.memory: expected at most 8 GiB, the maximum set in builds.resources.max.memory, found a string ("16 GiB")',
      'builds.repos[0].resources.cpus: expected at most 2, the maximum set in builds.resources.max.cpus, found a number (3)',
      'builds.repos[0].resources.timeout: expected at most 4h, the maximum set in builds.resources.max.timeout, found a string ("5h")',
    ]);
  });

  it('says what a bad value is and where', () => {
    expect(
      problems(
        [
          'builds:',
          '  resources: { memory: lots, cpus: 0, pids: 2.5, timeout: soon, swap: 1g, max: { memory: 1m } }',
        ].join('\n'),
      ),
    ).toEqual([
      'builds.resources.memory: expected a memory size such as 512m or 2g, found a string ("lots")',
      'builds.resources.cpus: expected a number >= 0.01, found a number (0)',
      'builds.resources.pids: expected a whole number of at least 8, found a number (2.5)',
      'builds.resources.timeout: expected a duration such as 30m or 2h, found a string ("soon")',
      'builds.resources.max.memory: expected at least 6m (Docker\'s minimum), found a string ("1m")',
      'builds.resources.swap: unknown key',
    ]);
  });
});

describe('Docker hosts with TLS', () => {
  it('takes ca, cert and key paths for a tcp:// host', () => {
    const { builds } = load(
      [
        'builds:',
        '  docker:',
        '    hosts:',
        '      - { address: "tcp://ci1:2376", tls: { ca: /certs/ca.pem, cert: /certs/cert.pem, key: /certs/key.pem } }',
      ].join('\n'),
    );
    expect(builds.docker.hosts).toEqual([
      {
        address: 'tcp://ci1:2376',
        capacity: 4,
        tls: { ca: '/certs/ca.pem', cert: '/certs/cert.pem', key: '/certs/key.pem' },
      },
    ]);
  });

  it('refuses tls on a unix socket and a tls without all three files', () => {
    expect(
      problems(
        [
          'builds:',
          '  docker:',
          '    hosts:',
          '      - { address: "unix:///var/run/docker.sock", tls: { ca: a, cert: b, key: c } }',
          '      - { address: "tcp://ci1:2376", tls: { ca: a, cert: b } }',
        ].join('\n'),
      ),
    ).toEqual([
      'builds.docker.hosts[0].address: expected a tcp:// address for a host with tls (a unix socket needs none), found a string ("unix:///var/run/docker.sock")',
      'builds.docker.hosts[1].tls.key: expected a string, found nothing',
    ]);
  });
});

describe('DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH', () => {
  const tlsEnv = { DOCKER_HOST: 'tcp://ci1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' };

  it('name the one Docker host when heckler.yml names none', () => {
    expect(load('{}', tlsEnv).builds.docker.hosts).toEqual([
      {
        address: 'tcp://ci1:2376',
        capacity: 4,
        tls: { ca: '/certs/ca.pem', cert: '/certs/cert.pem', key: '/certs/key.pem' },
      },
    ]);
    expect(
      load('builds: { limits: { global: 2 } }', { DOCKER_HOST: 'tcp://ci1:2375' }).builds.docker.hosts,
    ).toEqual([{ address: 'tcp://ci1:2375', capacity: 4 }]);
    expect(
      load('{}', { DOCKER_HOST: 'tcp://ci1:2376', DOCKER_TLS_VERIFY: '1', HOME: '/home/ci' }).builds.docker
        .hosts[0]?.tls,
    ).toEqual({
      ca: '/home/ci/.docker/ca.pem',
      cert: '/home/ci/.docker/cert.pem',
      key: '/home/ci/.docker/key.pem',
    });
  });

  it('leave hosts named in heckler.yml alone', () => {
    const { builds } = load(
      'builds: { docker: { hosts: [{ address: "unix:///run/docker.sock" }] } }',
      tlsEnv,
    );
    expect(builds.docker.hosts).toEqual([{ address: 'unix:///run/docker.sock', capacity: 4 }]);
  });

  it('refuse a DOCKER_HOST the bot cannot use, saying so', () => {
    expect(problems('{}', { DOCKER_HOST: 'ssh://ci1' })).toEqual([
      'DOCKER_HOST: expected unix:///path/to/docker.sock or tcp://host:port, found "ssh://ci1": fix or unset it, or name the hosts in builds.docker.hosts',
    ]);
  });
});
