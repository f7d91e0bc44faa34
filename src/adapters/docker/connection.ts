import { readFileSync } from 'node:fs';
import type Dockerode from 'dockerode';
import { HecklerError } from '../../engine/errors.js';

/** PEM files for a `tcp://` host that requires TLS (dockerd --tlsverify), as Docker names them. */
export interface DockerTls {
  /** The CA that signed the engine's certificate (ca.pem). */
  ca: string;
  /** Our client certificate, signed by a CA the engine trusts (cert.pem). */
  cert: string;
  /** The client certificate's private key (key.pem). */
  key: string;
}

const tlsFiles = { ca: 'CA certificate', cert: 'client certificate', key: 'client key' } as const;

/** dockerode options for one address; anything else is a configuration mistake said plainly. */
export const connection = (address: string, tls?: DockerTls): Dockerode.DockerOptions => {
  const unix = /^unix:\/\/(\/.+)$/.exec(address);
  if (unix?.[1]) {
    if (tls) {
      throw new HecklerError(
        'CONFIG_INVALID',
        `Docker host ${address}: tls applies to tcp:// hosts only; a unix socket is reached without it`,
        { hint: 'remove tls from this host in builds.docker.hosts' },
      );
    }
    return { socketPath: unix[1] };
  }
  const tcp = /^tcp:\/\/([^/:]+|\[[^\]]+\]):(\d{1,5})\/?$/.exec(address);
  if (tcp?.[1] && tcp[2]) {
    const host = tcp[1].replace(/^\[|\]$/g, '');
    const port = Number(tcp[2]);
    if (!tls) return { protocol: 'http', host, port };
    const read = (which: keyof DockerTls) => readTlsFile(address, which, tls[which]);
    return { protocol: 'https', host, port, ca: read('ca'), cert: read('cert'), key: read('key') };
  }
  throw new HecklerError(
    'CONFIG_INVALID',
    `"${address}" is not a Docker host address: expected unix:///path/to/docker.sock or tcp://host:port`,
  );
};

const readTlsFile = (address: string, which: keyof DockerTls, path: string): Buffer => {
  try {
    return readFileSync(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(cause);
    throw new HecklerError(
      'CONFIG_INVALID',
      `Docker host ${address}: cannot read the TLS ${tlsFiles[which]} (tls.${which}) ${path}: ${why}`,
      {
        hint: 'builds.docker.hosts[].tls names PEM files: ca (the CA that signed the engine), cert and key (our client certificate)',
        cause,
      },
    );
  }
};
