import { HecklerError } from '../../engine/errors.js';
import type { ContainerHosts, ContainerRuntime, HostSlot } from '../../engine/ports/containers.js';
import { createDockerRuntime, type DockerRuntimeOptions, type DockerTls } from './runtime.js';

export interface DockerHostConfig {
  /** `unix:///var/run/docker.sock` or `tcp://host:port`. */
  address: string;
  /** How many builds may run on this host at once. */
  capacity: number;
  /** Client certificates for a `tcp://` engine that requires TLS. */
  tls?: DockerTls | undefined;
}

export interface DockerPoolOptions extends Omit<DockerRuntimeOptions, 'address' | 'tls'> {
  hosts: readonly DockerHostConfig[];
  /** For tests and other runtimes: how to reach one host. Defaults to dockerode. */
  connect?: (address: string) => ContainerRuntime;
}

interface Host {
  runtime: ContainerRuntime;
  capacity: number;
  used: number;
}

/**
 * Several Docker hosts with a capacity each. `acquire` claims a slot on the host with the most
 * free room (the first listed on a tie), so builds spread out instead of piling onto one host.
 * Counts are this process's own: the queue that acquires is the one place builds start.
 */
export const createDockerPool = ({
  hosts,
  connect,
  ...runtimeOptions
}: DockerPoolOptions): ContainerHosts => {
  if (hosts.length === 0)
    throw new HecklerError('CONFIG_INVALID', 'no Docker hosts are configured for builds');
  const seen = new Set<string>();
  const pool: Host[] = hosts.map(({ address, capacity, tls }) => {
    if (seen.has(address)) throw new HecklerError('CONFIG_INVALID', `Docker host ${address} is listed twice`);
    seen.add(address);
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new HecklerError(
        'CONFIG_INVALID',
        `Docker host ${address}: capacity must be a whole number of at least 1, found ${capacity}`,
      );
    }
    const runtime = connect
      ? connect(address)
      : createDockerRuntime({ ...runtimeOptions, address, ...(tls ? { tls } : {}) });
    return { runtime, capacity, used: 0 };
  });

  return {
    acquire: (): HostSlot | undefined => {
      let best: Host | undefined;
      for (const host of pool) {
        const free = host.capacity - host.used;
        if (free > 0 && (!best || free > best.capacity - best.used)) best = host;
      }
      if (!best) return undefined;
      const chosen = best;
      chosen.used += 1;
      let released = false;
      return {
        host: chosen.runtime.host,
        runtime: chosen.runtime,
        release: () => {
          if (released) return;
          released = true;
          chosen.used -= 1;
        },
      };
    },
    runtime: (address) => pool.find((host) => host.runtime.host === address)?.runtime,
    all: () => pool.map((host) => host.runtime),
  };
};
