import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import {
  type ContainerExec,
  type ContainerInfo,
  type ContainerRuntime,
  DEFAULT_CONTAINER_LIMITS,
  type StartSpec,
} from '../../engine/ports/containers.js';
import { connection, type DockerTls } from './connection.js';
import { Demuxer } from './demux.js';
import { type CallOptions, engineCall, statusOf } from './engine-call.js';
import { buildHostConfig } from './host-config.js';
import { ensureImage, type ImageDeps, removeImages } from './images.js';
import { PROBE_SCRIPT, readProbe } from './limits-probe.js';

export { connection, type DockerTls } from './connection.js';

export interface DockerRuntimeOptions {
  /** `unix:///var/run/docker.sock` or `tcp://host:port` (HTTPS with client certificates when `tls`). */
  address: string;
  tls?: DockerTls;
  /** Limit for each short request (inspect, create, kill …); long streams have none. */
  callTimeoutMs?: number;
  pullTimeoutMs?: number;
  /** Network mode for build containers when the spec names none. */
  network?: string;
}

/** Far beyond any build timeout: the container only has to outlive its stages. */
const keepAliveSeconds = String(2 ** 31 - 1);

export const createDockerRuntime = (options: DockerRuntimeOptions): ContainerRuntime => {
  const { address: host, callTimeoutMs = 30_000, pullTimeoutMs = 10 * 60_000, network = 'none' } = options;
  const docker = new Dockerode(connection(host, options.tls));
  const call = <T>(operation: (abortSignal: AbortSignal) => Promise<T>) =>
    engineCall({ host, timeoutMs: callTimeoutMs }, operation);
  const images: ImageDeps = { docker, host, callTimeoutMs, pullTimeoutMs };
  // dockerode's typings lag the library: ping and info take options (and so an abort signal).
  const ping = docker.ping.bind(docker) as unknown as (opts: {
    abortSignal: AbortSignal;
  }) => Promise<unknown>;
  const info = docker.info.bind(docker) as unknown as (opts: {
    abortSignal: AbortSignal;
  }) => Promise<{ NCPU?: unknown }>;

  // Docker refuses a container more CPUs than the host has: ask once, cap requests to it.
  let hostCpus: Promise<number | undefined> | undefined;
  const cpusOfHost = () => {
    hostCpus ??= call((abortSignal) => info({ abortSignal })).then(
      ({ NCPU }) => (typeof NCPU === 'number' && NCPU > 0 ? NCPU : undefined),
      (error: unknown) => {
        hostCpus = undefined;
        throw error;
      },
    );
    return hostCpus;
  };

  const remove = async (id: string): Promise<void> => {
    try {
      await call((abortSignal) => docker.getContainer(id).remove({ force: true, v: true, abortSignal }));
    } catch (error) {
      // 404: gone already; 409: a removal is already in progress.
      if (statusOf(error) !== 404 && statusOf(error) !== 409) throw error;
    }
  };

  return {
    host,
    ping: async () => void (await call((abortSignal) => ping({ abortSignal }))),
    ensureImage: (image, opts) => ensureImage(images, image, opts),
    start: async (spec: StartSpec) => {
      const limits = spec.limits ?? DEFAULT_CONTAINER_LIMITS;
      const cpus = await cpusOfHost();
      const container = await call((abortSignal) =>
        docker.createContainer({
          Image: spec.image,
          // Whatever the image's entrypoint, the container only waits for our execs.
          Entrypoint: ['sleep'],
          Cmd: [keepAliveSeconds],
          Labels: spec.labels,
          WorkingDir: spec.workdir,
          Env: toEnv(spec.env),
          Tty: false,
          HostConfig: buildHostConfig(limits, spec.network ?? network, cpus),
          abortSignal,
        }),
      );
      try {
        await call((abortSignal) => container.start({ abortSignal }));
      } catch (error) {
        await remove(container.id).catch(() => undefined);
        throw error;
      }
      return { id: container.id };
    },
    copyIn: async (id, tar, path) => {
      await call((abortSignal) => docker.getContainer(id).putArchive(tar, { path, abortSignal }));
    },
    exec: (id, exec) => runExec(docker, { host, timeoutMs: callTimeoutMs }, id, exec),
    limitsReached: async (id) => {
      const inspected = await call((abortSignal) => docker.getContainer(id).inspect({ abortSignal }));
      const oomKilled = inspected.State.OOMKilled === true;
      // dockerd sets OOMKilled only when the container itself dies; a stage's process killed by
      // the OOM killer shows in the cgroup's counters, read from inside.
      if (!inspected.State.Running) return readProbe('', oomKilled);
      let output = '';
      try {
        await runExec(docker, { host, timeoutMs: callTimeoutMs }, id, {
          script: PROBE_SCRIPT,
          onOutput: (chunk) => (output += chunk.toString('utf8')),
        });
      } catch {
        // No process could start (the pids limit still full): the engine's word is all we have.
      }
      return readProbe(output, oomKilled);
    },
    kill: async (id) => {
      try {
        await call((abortSignal) => docker.getContainer(id).kill({ signal: 'SIGKILL', abortSignal }));
      } catch (error) {
        // 404: no such container; 409: not running. Both mean there is nothing left to kill.
        if (statusOf(error) !== 404 && statusOf(error) !== 409) throw error;
      }
    },
    remove,
    inspect: async (id) => {
      try {
        const info = await call((abortSignal) => docker.getContainer(id).inspect({ abortSignal }));
        return {
          id: info.Id,
          name: info.Name.replace(/^\//, ''),
          image: info.Config.Image,
          labels: info.Config.Labels ?? {},
          running: info.State.Running,
          createdAt: Date.parse(info.Created),
        };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
    list: async (labels) => {
      const label = Object.entries(labels).map(([key, value]) => (value === true ? key : `${key}=${value}`));
      const found = await call((abortSignal) =>
        docker.listContainers({ all: true, filters: { label }, abortSignal }),
      );
      return found.map(
        (info): ContainerInfo => ({
          id: info.Id,
          name: (info.Names[0] ?? info.Id).replace(/^\//, ''),
          image: info.Image,
          labels: info.Labels ?? {},
          running: info.State === 'running',
          createdAt: info.Created * 1000,
        }),
      );
    },
    removeImages: (cleanup) => removeImages(images, cleanup),
  };
};

const toEnv = (env: Record<string, string> = {}): string[] =>
  Object.entries(env).map(([key, value]) => `${key}=${value}`);

/**
 * One `sh -e -c` exec. Output streams through the demuxer as it arrives; the exit code comes from
 * the engine's exec inspect once the process has ended.
 */
const runExec = async (
  docker: Dockerode,
  call: Omit<CallOptions, 'signal'>,
  id: string,
  { script, env, workdir, signal, onOutput }: ContainerExec,
): Promise<{ exitCode: number }> => {
  signal?.throwIfAborted();
  const exec = await engineCall({ ...call, signal }, (abortSignal) =>
    docker.getContainer(id).exec({
      Cmd: ['sh', '-e', '-c', script],
      Env: toEnv(env),
      ...(workdir ? { WorkingDir: workdir } : {}),
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      abortSignal,
    }),
  );
  // No abort signal on the hijacked request itself: a deadline there could cut the live stream.
  const stream = await engineCall({ ...call, signal }, () => exec.start({ hijack: true, stdin: false }));
  await drain(stream, signal, (chunk, which) => onOutput?.(chunk, which));
  // The stream can end a moment before the engine records the exit; ask until it has.
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const info = await engineCall({ ...call, signal }, (abortSignal) => exec.inspect({ abortSignal }));
    if (!info.Running && typeof info.ExitCode === 'number') return { exitCode: info.ExitCode };
    await sleep(Math.min(10 * (attempt + 1), 100), undefined, signal ? { signal } : {});
  }
  throw new Error(`the engine at ${call.host} reported no exit code for exec ${exec.id}`);
};

const drain = (
  stream: Duplex,
  signal: AbortSignal | undefined,
  onOutput: ConstructorParameters<typeof Demuxer>[0],
): Promise<void> =>
  new Promise((resolve, reject) => {
    const demuxer = new Demuxer(onOutput);
    const onAbort = () => {
      stream.destroy();
      reject(signal?.reason);
    };
    // Aborted between the exec's start and here: an event that already fired never fires again.
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (error?: Error) => {
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    stream.on('data', (chunk: Buffer) => demuxer.push(chunk));
    stream.once('end', () => settle());
    stream.once('close', () => settle());
    stream.once('error', (error) => settle(error));
  });
