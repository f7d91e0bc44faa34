import type { ContainerCreateOptions } from 'dockerode';
import type { ContainerLimits } from '../../engine/ports/containers.js';

/**
 * The only capabilities a build container keeps (Docker's default set has 14). Enough for builds
 * that run as root and install or unpack files: CHOWN (chown, tar and package managers keeping
 * owners), DAC_OVERRIDE (root writing files it does not own, as root expects), FOWNER (chmod and
 * timestamps on such files), FSETID (setuid/setgid bits kept by chmod and installs), SETUID and
 * SETGID (su, gosu, apt dropping to its `_apt` user). Dropped, among others: MKNOD, NET_RAW (ping),
 * NET_BIND_SERVICE (ports below 1024), KILL (signals to other users' processes), SYS_CHROOT,
 * SETFCAP, SETPCAP, AUDIT_WRITE.
 */
export const BUILD_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETGID', 'SETUID'];

/**
 * The HostConfig of every build container. Memory and swap together are the memory limit (no
 * extra swap). Docker refuses more CPUs than the host has, so `hostCpus` caps the request. No
 * binds or mounts are ever configured: nothing from the host is visible inside.
 */
export const buildHostConfig = (
  limits: ContainerLimits,
  network: string,
  hostCpus: number | undefined,
): ContainerCreateOptions['HostConfig'] => ({
  NetworkMode: network,
  Memory: limits.memoryBytes,
  MemorySwap: limits.memoryBytes,
  NanoCpus: Math.round(Math.min(limits.cpus, hostCpus ?? Number.POSITIVE_INFINITY) * 1e9),
  PidsLimit: limits.pids,
  CapDrop: ['ALL'],
  CapAdd: [...BUILD_CAPABILITIES],
  SecurityOpt: ['no-new-privileges'],
  Privileged: false,
  Binds: [],
  Mounts: [],
});
