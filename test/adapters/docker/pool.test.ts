import { describe, expect, it } from 'vitest';
import { createDockerPool } from '../../../src/adapters/docker/pool.js';
import { connection } from '../../../src/adapters/docker/runtime.js';
import type { ContainerRuntime } from '../../../src/engine/ports/containers.js';

/** The pool only reads `host`; the rest is never called here. */
const fakeRuntime = (host: string) => ({ host }) as ContainerRuntime;

describe('docker host pool', () => {
  const pool = () =>
    createDockerPool({
      hosts: [
        { address: 'unix:///var/run/docker.sock', capacity: 1 },
        { address: 'tcp://ci1:2375', capacity: 2 },
      ],
      connect: fakeRuntime,
    });

  it('picks the host with the most free room, and none when all are full', () => {
    const hosts = pool();
    const first = hosts.acquire();
    const second = hosts.acquire();
    const third = hosts.acquire();
    expect([first?.host, second?.host, third?.host]).toEqual([
      'tcp://ci1:2375',
      'unix:///var/run/docker.sock',
      'tcp://ci1:2375',
    ]);
    expect(hosts.acquire()).toBeUndefined();
    second?.release();
    second?.release();
    expect(hosts.acquire()?.host).toBe('unix:///var/run/docker.sock');
    expect(hosts.acquire()).toBeUndefined();
  });

  it('finds a runtime by address', () => {
    const hosts = pool();
    expect(hosts.runtime('tcp://ci1:2375')?.host).toBe('tcp://ci1:2375');
    expect(hosts.runtime('tcp://nowhere:1')).toBeUndefined();
    expect(hosts.all().map((runtime) => runtime.host)).toHaveLength(2);
  });

  it.each([
    [[], 'no Docker hosts are configured for builds'],
    [
      [{ address: 'tcp://a:1', capacity: 0 }],
      'Docker host tcp://a:1: capacity must be a whole number of at least 1, found 0',
    ],
    [
      [
        { address: 'tcp://a:1', capacity: 1 },
        { address: 'tcp://a:1', capacity: 1 },
      ],
      'Docker host tcp://a:1 is listed twice',
    ],
  ])('refuses a bad host list: %j', (hosts, message) => {
    expect(() => createDockerPool({ hosts, connect: fakeRuntime })).toThrow(message);
  });
});

describe('docker host addresses', () => {
  it.each([
    ['unix:///var/run/docker.sock', { socketPath: '/var/run/docker.sock' }],
    ['tcp://ci1.example.com:2375', { protocol: 'http', host: 'ci1.example.com', port: 2375 }],
    ['tcp://[::1]:2375', { protocol: 'http', host: '::1', port: 2375 }],
  ])('reads %s', (address, options) => {
    expect(connection(address)).toEqual(options);
  });

  it.each(['/var/run/docker.sock', 'tcp://ci1', 'http://ci1:2375', 'ssh://ci1'])(
    'refuses %s plainly',
    (address) => {
      expect(() => connection(address)).toThrow(`"${address}" is not a Docker host address`);
    },
  );
});
