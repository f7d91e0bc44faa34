import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerRuntime } from '../../../src/adapters/docker/runtime.js';
import type {
  ContainerLimits,
  ContainerRuntime,
  OutputStream,
} from '../../../src/engine/ports/containers.js';
import { makeTree, TEST_IMAGE, type TestDocker, useDocker } from '../../support/docker.js';

let docker: TestDocker;
let runtime: ContainerRuntime;
const started: string[] = [];
const labels = { 'heckler.test-runtime': String(process.pid) };

beforeAll(async () => {
  docker = await useDocker();
  runtime = createDockerRuntime({ address: docker.address });
});

afterAll(async () => {
  for (const id of started) await runtime?.remove(id).catch(() => undefined);
  await docker?.stop();
});

const container = async (workdir = '/build', limits?: ContainerLimits) => {
  const { id } = await runtime.start({ image: TEST_IMAGE, labels, workdir, ...(limits ? { limits } : {}) });
  started.push(id);
  return id;
};

const collect = () => {
  const out: Record<OutputStream, string> = { stdout: '', stderr: '' };
  return { out, onOutput: (chunk: Buffer, stream: OutputStream) => (out[stream] += chunk.toString()) };
};

describe('docker runtime', () => {
  it('answers ping, and says plainly when the engine is not there', async () => {
    await expect(runtime.ping()).resolves.toBeUndefined();
    const nowhere = createDockerRuntime({ address: 'unix:///nonexistent/docker.sock' });
    await expect(nowhere.ping()).rejects.toMatchObject({
      code: 'ENGINE_UNAVAILABLE',
      message: expect.stringMatching(
        /^the Docker engine at unix:\/\/\/nonexistent\/docker\.sock is not answering \(.*ENOENT/,
      ),
    });
    await expect(nowhere.ensureImage(TEST_IMAGE)).rejects.toMatchObject({ code: 'ENGINE_UNAVAILABLE' });
  });

  it('accepts an image that is present and refuses one it cannot pull', async () => {
    await expect(runtime.ensureImage(TEST_IMAGE)).resolves.toBeUndefined();
    await expect(runtime.ensureImage('busybox:9')).rejects.toMatchObject({
      code: 'IMAGE_MISSING',
      message: expect.stringMatching(
        /^image busybox:9 is not on the Docker host \S+ and could not be pulled: /,
      ),
    });
  });

  it('runs sh -e -c execs: streams kept apart, env and workdir applied, exit codes from the engine', async () => {
    const id = await container('/work/here');
    const { out, onOutput } = collect();
    const result = await runtime.exec(id, {
      script: 'echo "out $A"\necho err >&2\npwd\nfalse\necho never',
      env: { A: 'value with spaces' },
      onOutput,
    });
    expect(result).toEqual({ exitCode: 1 });
    expect(out).toEqual({ stdout: 'out value with spaces\n/work/here\n', stderr: 'err\n' });

    expect(await runtime.exec(id, { script: 'exit 3' })).toEqual({ exitCode: 3 });
    const elsewhere = collect();
    await runtime.exec(id, { script: 'pwd', workdir: '/tmp', onOutput: elsewhere.onOutput });
    expect(elsewhere.out.stdout).toBe('/tmp\n');
  });

  it('copies a tree into the container and carries large output intact', async () => {
    const id = await container();
    await runtime.copyIn(id, makeTree({ 'a/b.txt': 'deep\n', 'top.txt': 'top\n' }), '/build');
    const { out, onOutput } = collect();
    await runtime.exec(id, {
      script: 'cat a/b.txt top.txt\nhead -c 1000000 /dev/zero | tr "\\0" x',
      onOutput,
    });
    expect(out.stdout.slice(0, 9)).toBe('deep\ntop\n');
    expect(out.stdout.length).toBe(9 + 1_000_000);
  });

  it('gives up an exec at once on abort; kill and remove then end the container', async () => {
    const id = await container();
    const controller = new AbortController();
    const pending = runtime.exec(id, { script: 'sleep 60', signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop now')), 200);
    await expect(pending).rejects.toThrow('stop now');

    await runtime.kill(id);
    expect(await runtime.inspect(id)).toMatchObject({ id, running: false, labels });
    await runtime.kill(id);
    await runtime.remove(id);
    await runtime.remove(id);
    expect(await runtime.inspect(id)).toBeUndefined();
  });

  it('lists containers by label', async () => {
    const id = await container();
    const mine = await runtime.list({ 'heckler.test-runtime': true });
    expect(mine.map((info) => info.id)).toContain(id);
    expect(mine.find((info) => info.id === id)).toMatchObject({ image: TEST_IMAGE, running: true, labels });
    expect(await runtime.list({ 'heckler.test-runtime': 'no-such-value' })).toEqual([]);
  });
});

/** Bits of CHOWN, DAC_OVERRIDE, FOWNER, FSETID, SETGID and SETUID (linux/capability.h). */
const buildCapabilities = (1 << 0) | (1 << 1) | (1 << 3) | (1 << 4) | (1 << 6) | (1 << 7);

describe('docker runtime: limits and privileges of build containers', () => {
  const MiB = 1024 ** 2;

  it('starts containers with the limits asked for, all capabilities but a few dropped, no host mounts', async () => {
    const id = await container('/build', { memoryBytes: 64 * MiB, cpus: 1, pids: 64 });
    const info = await docker.docker.getContainer(id).inspect();
    expect(info.HostConfig).toMatchObject({
      NetworkMode: 'none',
      Memory: 64 * MiB,
      MemorySwap: 64 * MiB,
      NanoCpus: 1e9,
      PidsLimit: 64,
      CapDrop: ['ALL'],
      CapAdd: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETGID', 'SETUID'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
    });
    expect(info.HostConfig.Binds ?? []).toEqual([]);
    expect(info.HostConfig.Mounts ?? []).toEqual([]);
    expect(info.Mounts).toEqual([]);
  });

  it('applies the defaults when asked for none: 2 GiB, 2 CPUs (or all the host has), 1024 pids', async () => {
    const id = await container();
    const info = await docker.docker.getContainer(id).inspect();
    const cpus = Math.min(2, (await docker.docker.info()).NCPU);
    expect(info.HostConfig).toMatchObject({
      Memory: 2048 * MiB,
      MemorySwap: 2048 * MiB,
      NanoCpus: cpus * 1e9,
      PidsLimit: 1024,
    });
  });

  it('lets root in the container chown and write any file, but not make devices or gain privileges', async () => {
    const id = await container();
    const { out, onOutput } = collect();
    const status = await runtime.exec(id, {
      script: [
        'while read -r key value; do case $key in CapEff:|NoNewPrivs:) echo "$key $value";; esac; done < /proc/self/status',
        'echo one > f',
        'busybox chown 1234:1234 f',
        'busybox chmod 600 f',
        'echo two >> f',
        'busybox chmod 4755 f',
        'cat f',
        'if busybox mknod /tmp/null c 1 3 2>/dev/null; then echo mknod allowed; fi',
      ].join('\n'),
      onOutput,
    });
    expect(out.stderr).toBe('');
    expect(status).toEqual({ exitCode: 0 });
    const mask = buildCapabilities.toString(16).padStart(16, '0');
    expect(out.stdout).toBe(`CapEff: ${mask}\nNoNewPrivs: 1\none\ntwo\n`);
  });

  it('tells which limits a container reached: out of memory, pids', async () => {
    const id = await container('/build', { memoryBytes: 64 * MiB, cpus: 1, pids: 64 });
    // Without these limits the allocation and the fork bomb below would hit the machine itself.
    const { HostConfig } = await docker.docker.getContainer(id).inspect();
    expect([HostConfig.Memory, HostConfig.PidsLimit]).toEqual([64 * MiB, 64]);
    expect(await runtime.limitsReached(id)).toEqual({ outOfMemory: false, pids: false });
    const hog = await runtime.exec(id, { script: 'x=$(head -c 1073741824 /dev/zero | tr "\\0" x)' });
    expect(hog).toEqual({ exitCode: 137 });
    expect(await runtime.limitsReached(id)).toEqual({ outOfMemory: true, pids: false });
    const bomb = await runtime.exec(id, { script: 'bomb() { bomb | bomb; }\nbomb' });
    expect(bomb.exitCode).not.toBe(0);
    expect(await runtime.limitsReached(id)).toEqual({ outOfMemory: true, pids: true });
  });
});
