import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerPool } from '../../../src/adapters/docker/pool.js';
import { connection, createDockerRuntime } from '../../../src/adapters/docker/runtime.js';
import type { OutputStream } from '../../../src/engine/ports/containers.js';
import {
  makeTlsFiles,
  startDocker,
  TEST_IMAGE,
  type TestDocker,
  type TlsFiles,
} from '../../support/docker.js';

let docker: TestDocker;
let files: TlsFiles;
let address: string;
const dir = mkdtempSync(join(tmpdir(), 'hk-tls-'));

beforeAll(async () => {
  files = makeTlsFiles(dir);
  docker = await startDocker({ tls: files });
  address = docker.tcpAddress ?? '';
});

afterAll(async () => {
  await docker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a tcp:// Docker host with TLS (dockerd --tlsverify)', () => {
  it('runs a build container through the pool with the client certificate', async () => {
    const hosts = createDockerPool({
      hosts: [{ address, capacity: 1, tls: { ca: files.ca, ...files.client } }],
    });
    const runtime = hosts.all()[0];
    if (!runtime) throw new Error('no runtime');
    await runtime.ping();
    const { id } = await runtime.start({
      image: TEST_IMAGE,
      labels: { 'heckler.test-tls': '1' },
      workdir: '/build',
    });
    try {
      let out = '';
      const result = await runtime.exec(id, {
        script: 'echo over tls',
        onOutput: (chunk: Buffer, stream: OutputStream) => {
          if (stream === 'stdout') out += chunk.toString();
        },
      });
      expect(result).toEqual({ exitCode: 0 });
      expect(out).toBe('over tls\n');
    } finally {
      await runtime.remove(id);
    }
  });

  it('says plainly that the engine refused a client certificate from another CA', async () => {
    const runtime = createDockerRuntime({ address, tls: { ...files.stranger, ca: files.ca } });
    await expect(runtime.ping()).rejects.toMatchObject({
      code: 'ENGINE_UNAVAILABLE',
      message: expect.stringMatching(
        new RegExp(`^the Docker engine at ${address} refused our TLS client certificate \\(.+\\)$`),
      ),
      hint: expect.stringContaining('signed by the CA the engine trusts'),
    });
  });

  it('says plainly when the engine certificate is not from the configured CA', async () => {
    const runtime = createDockerRuntime({ address, tls: { ...files.client, ca: files.stranger.ca } });
    await expect(runtime.ping()).rejects.toMatchObject({
      code: 'ENGINE_UNAVAILABLE',
      message: expect.stringMatching(
        new RegExp(`^the Docker engine at ${address} has a TLS certificate we cannot verify \\(.+\\)$`),
      ),
      hint: expect.stringContaining('tls.ca'),
    });
  });

  it('says plainly when a TLS engine is configured without tls', async () => {
    const runtime = createDockerRuntime({ address });
    await expect(runtime.ping()).rejects.toMatchObject({
      code: 'ENGINE_UNAVAILABLE',
      message: `the Docker engine at ${address} requires TLS`,
      hint: expect.stringContaining('tls'),
    });
  });

  it('refuses unreadable certificate files and tls on a unix socket at start-up', () => {
    expect(() => connection(address, { ca: join(dir, 'missing.pem'), ...files.client })).toThrow(
      `Docker host ${address}: cannot read the TLS CA certificate (tls.ca) ${join(dir, 'missing.pem')}: no such file`,
    );
    expect(() => connection(docker.address, { ca: files.ca, ...files.client })).toThrow(
      `Docker host ${docker.address}: tls applies to tcp:// hosts only`,
    );
    expect(connection(address, { ca: files.ca, ...files.client })).toMatchObject({
      protocol: 'https',
      host: '127.0.0.1',
      ca: expect.any(Buffer),
      cert: expect.any(Buffer),
      key: expect.any(Buffer),
    });
  });
});
