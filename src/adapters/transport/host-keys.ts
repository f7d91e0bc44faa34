import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ServerHostKeyAlgorithm } from 'ssh2';
import {
  fingerprint,
  fingerprintOf,
  hostKeyName,
  type KnownHostEntry,
  keyType,
  knownHostsLine,
  matchesHost,
  parseKnownHosts,
} from './known-hosts.js';

export type HostKeyMode = 'strict' | 'accept-new';

export interface HostKeyPolicy {
  knownHostsPath: string;
  /** `strict` refuses unknown keys; `accept-new` records a new host's first key. Changed keys are always refused. */
  mode: HostKeyMode;
}

export type HostKeyVerdict = { ok: true; recorded?: string } | { ok: false; reason: string };

/** ssh2's host key algorithms, best first (its defaults). */
const ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];
const RSA: ServerHostKeyAlgorithm[] = ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/**
 * The file is read on every connection (connections are long-lived, so this is rare): an operator
 * who adds a key with ssh-keyscan does not have to restart the bot. A missing file is empty.
 */
const readEntries = (path: string): KnownHostEntry[] | { error: string } => {
  try {
    return parseKnownHosts(readFileSync(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return { error: `cannot read known_hosts ${path}: ${(error as Error).message}` };
  }
};

const entriesFor = (entries: KnownHostEntry[], host: string, port: number) => {
  const name = hostKeyName(host, port);
  return entries.filter((entry) => matchesHost(entry.hosts, name));
};

/**
 * Host key algorithms to offer, those we hold a key for first. A server picks the first of our
 * list it has; were ed25519 first while known_hosts holds its RSA key, a genuine node would look
 * "changed". OpenSSH orders its offer the same way.
 */
export const hostKeyAlgorithms = (
  policy: HostKeyPolicy,
  host: string,
  port: number,
): ServerHostKeyAlgorithm[] => {
  const entries = readEntries(policy.knownHostsPath);
  if (!Array.isArray(entries)) return ALGORITHMS;
  const known = entriesFor(entries, host, port)
    .filter((entry) => entry.marker === undefined)
    .flatMap((entry) => (entry.keyType === 'ssh-rsa' ? RSA : [entry.keyType]))
    .filter((algorithm): algorithm is ServerHostKeyAlgorithm => (ALGORITHMS as string[]).includes(algorithm));
  return [...new Set([...known, ...ALGORITHMS])];
};

/**
 * Decides whether `blob`, the key the server presented (ssh2 has already checked that the server
 * holds its private half), is the node's. Synchronous on purpose: ssh2 calls it mid-handshake, and
 * reading and appending in one turn of the event loop keeps two new connections to the same new
 * host from both appending.
 */
export const verifyHostKey = (
  policy: HostKeyPolicy,
  host: string,
  port: number,
  blob: Buffer,
): HostKeyVerdict => {
  const { knownHostsPath: path } = policy;
  const entries = readEntries(path);
  if (!Array.isArray(entries))
    return { ok: false, reason: `${entries.error}; refusing to connect unverified` };
  const mine = entriesFor(entries, host, port);
  const presented = blob.toString('base64');
  const name = hostKeyName(host, port);
  const shown = `${keyType(blob)} key ${fingerprint(blob)}`;
  if (mine.some((entry) => entry.marker === 'revoked' && entry.key === presented)) {
    return {
      ok: false,
      reason: `host key of ${name} is marked @revoked in ${path}: the node presented ${shown}`,
    };
  }
  const pinned = mine.filter((entry) => entry.marker === undefined);
  if (pinned.some((entry) => entry.key === presented)) return { ok: true };
  if (pinned.length > 0) return { ok: false, reason: changedKey({ policy, host, port, shown, pinned }) };
  if (policy.mode === 'accept-new') return { ok: true, recorded: record(path, host, port, blob) };
  return { ok: false, reason: unknownKey({ policy, host, port, shown }) };
};

const record = (path: string, host: string, port: number, blob: Buffer): string => {
  const line = knownHostsLine(host, port, blob);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // a missing file is created by the append
  }
  appendFileSync(path, `${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`, { mode: 0o600 });
  return line;
};

interface Described {
  policy: HostKeyPolicy;
  host: string;
  port: number;
  shown: string;
}

const unknownKey = ({ policy, host, port, shown }: Described): string =>
  `host key of ${hostKeyName(host, port)} is not in ${policy.knownHostsPath}; the node presented ${shown}. ` +
  `If that is the node's key (compare with \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on the node), add it: ` +
  `\`ssh-keyscan -p ${port} ${host} >> ${policy.knownHostsPath}\`, ` +
  'or set fleet.ssh.hostKeys: accept-new to record the keys of new nodes on first contact.';

const changedKey = ({
  policy,
  host,
  port,
  shown,
  pinned,
}: Described & { pinned: KnownHostEntry[] }): string => {
  const name = hostKeyName(host, port);
  const expected = pinned.map((entry) => `${entry.keyType} ${fingerprintOf(entry.key)} (line ${entry.line})`);
  return (
    `HOST KEY CHANGED for ${name}: the node presented ${shown}, but ${policy.knownHostsPath} expects ` +
    `${expected.join(', ')}. Someone may be impersonating the node, so it was refused (accept-new never ` +
    'accepts a changed key). If the node was reinstalled, check the new key on the node ' +
    `(\`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\`), then replace the old one: ` +
    `\`ssh-keygen -R '${name}' -f ${policy.knownHostsPath} && ssh-keyscan -p ${port} ${host} >> ${policy.knownHostsPath}\`.`
  );
};
