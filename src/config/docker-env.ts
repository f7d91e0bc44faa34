import { join } from 'node:path';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The Docker CLI's convention, for a heckler.yml that names no Docker hosts: `DOCKER_HOST` is the
 * one host; with `DOCKER_TLS_VERIFY` set (any value but empty), a tcp:// host is reached with the
 * client certificates `ca.pem`, `cert.pem` and `key.pem` in `DOCKER_CERT_PATH` (~/.docker when
 * unset). Hosts in the file always win. Returns the raw file with the host filled in.
 */
export const withDockerEnv = (raw: unknown, env: NodeJS.ProcessEnv, problems: string[]): unknown => {
  const address = env.DOCKER_HOST;
  if (!address || !isRecord(raw)) return raw;
  const builds = raw.builds ?? {};
  if (!isRecord(builds)) return raw;
  const docker = builds.docker ?? {};
  if (!isRecord(docker) || docker.hosts !== undefined) return raw;
  if (!/^(unix:\/\/\/|tcp:\/\/)\S+$/.test(address)) {
    problems.push(
      `DOCKER_HOST: expected unix:///path/to/docker.sock or tcp://host:port, found ${JSON.stringify(address)}: ` +
        'fix or unset it, or name the hosts in builds.docker.hosts',
    );
    return raw;
  }
  const certs = env.DOCKER_CERT_PATH || join(env.HOME ?? '', '.docker');
  const tls =
    env.DOCKER_TLS_VERIFY && address.startsWith('tcp://')
      ? { ca: join(certs, 'ca.pem'), cert: join(certs, 'cert.pem'), key: join(certs, 'key.pem') }
      : undefined;
  const host = { address, ...(tls ? { tls } : {}) };
  return { ...raw, builds: { ...builds, docker: { ...docker, hosts: [host] } } };
};
