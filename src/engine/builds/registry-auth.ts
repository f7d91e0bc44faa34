import type { RegistryAuth } from '../ports/containers.js';

export interface RegistryCredential {
  username: string;
  password: string;
}

const DOCKER_HUB = 'docker.io';
const hubAliases = [DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io'];

/**
 * The registry an image comes from, as Docker reads a reference: the first path part when it
 * looks like a host (has a dot or a port, or is localhost), else Docker Hub.
 */
export const registryOf = (image: string): string => {
  const slash = image.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : DOCKER_HUB;
};

/** Credentials from config (by registry host) for pulling an image, or undefined for a public pull. */
export const registryAuthFor =
  (credentials: Readonly<Record<string, RegistryCredential>>) =>
  (image: string): RegistryAuth | undefined => {
    const host = registryOf(image);
    const hosts = host === DOCKER_HUB ? hubAliases : [host];
    const name = hosts.find((candidate) => credentials[candidate] !== undefined);
    const found = name === undefined ? undefined : credentials[name];
    if (!found) return undefined;
    // Docker Hub's auth server is addressed by its legacy URL; other registries by host.
    const serveraddress = host === DOCKER_HUB ? 'https://index.docker.io/v1/' : host;
    return { username: found.username, password: found.password, serveraddress };
  };
