import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NodeSSH } from 'node-ssh';
import type { Logger } from '../../engine/ports/logger.js';
import type { NodeSpec } from '../../engine/ports/transport.js';
import { type HostKeyPolicy, hostKeyAlgorithms, verifyHostKey } from './host-keys.js';
import { describeConnectError } from './ssh-errors.js';

export type Connection = { ok: true; ssh: NodeSSH } | { ok: false; error: string };

export interface PoolOptions {
  policy: HostKeyPolicy;
  connectTimeoutMs: number;
  keepaliveMs: number;
  logger: Logger;
}

interface Entry {
  /** Where the connection goes; a node whose address or key changed in the config gets a new one. */
  target: string;
  connection: Promise<Connection>;
  ssh?: NodeSSH;
}

/** After this many unanswered keepalives a connection counts as dead and is dropped. */
const KEEPALIVE_COUNT_MAX = 3;
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** `~/x` → home-relative; the config's defaults are written that way. */
export const expandHome = (path: string): string =>
  path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;

/**
 * One SSH connection per node, opened on first use and kept: a fan-out over hundreds of nodes pays
 * for key exchange once per node, not once per command. Dropped connections (node restart,
 * keepalive timeout) leave the pool and the next call reconnects.
 */
export const createPool = (options: PoolOptions) => {
  const entries = new Map<string, Entry>();
  let connects = 0;

  const open = async (node: NodeSpec, entry: Entry): Promise<Connection> => {
    const key = await readKey(node.keyPath);
    if ('error' in key) return { ok: false, error: key.error };
    let refusal: string | undefined;
    const ssh = new NodeSSH();
    const log = options.logger.child({ node: node.name });
    try {
      await ssh.connect({
        host: node.host,
        port: node.port,
        username: node.user,
        privateKey: key.privateKey,
        readyTimeout: options.connectTimeoutMs,
        keepaliveInterval: options.keepaliveMs,
        keepaliveCountMax: KEEPALIVE_COUNT_MAX,
        algorithms: { serverHostKey: hostKeyAlgorithms(options.policy, node.host, node.port) },
        // Without a verifier ssh2 accepts any host key: this is the only thing between us and an impostor.
        hostVerifier: (blob: Buffer) => {
          const verdict = verifyHostKey(options.policy, node.host, node.port, blob);
          if (!verdict.ok) refusal = verdict.reason;
          else if (verdict.recorded) log.warn({ line: verdict.recorded }, 'accepted new host key');
          return verdict.ok;
        },
      });
    } catch (error) {
      ssh.dispose();
      const reason = refusal ?? describeConnectError(error, node, options.connectTimeoutMs);
      log.warn({ reason }, refusal ? 'host key refused' : 'ssh connect failed');
      return { ok: false, error: reason };
    }
    connects++;
    entry.ssh = ssh;
    const connection = ssh.connection;
    // node-ssh adds an 'error' listener per channel being opened: up to sessionsPerNode at once, plus ours.
    connection?.setMaxListeners(64);
    // node-ssh listens for 'error' only while connecting; an unheard error event (keepalive
    // timeout, reset) would crash the process.
    connection?.on('error', (error) => log.warn({ err: error.message }, 'ssh connection error'));
    connection?.on('close', () => {
      if (entries.get(node.name) === entry) entries.delete(node.name);
      log.debug({}, 'ssh connection closed');
    });
    log.debug({}, 'ssh connected');
    return { ok: true, ssh };
  };

  return {
    /** The node's live connection, connecting if needed; never rejects. */
    get(node: NodeSpec): Promise<Connection> {
      const target = `${node.user}@${node.host}:${node.port} ${node.keyPath ?? ''}`;
      const current = entries.get(node.name);
      if (current && current.target === target && (current.ssh === undefined || current.ssh.isConnected())) {
        return current.connection;
      }
      if (current) drop(current);
      const entry: Entry = { target, connection: Promise.resolve({ ok: false, error: 'not connected' }) };
      entry.connection = open(node, entry).then((result) => {
        // A failed attempt is not kept: the next call tries again.
        if (!result.ok && entries.get(node.name) === entry) entries.delete(node.name);
        return result;
      });
      entries.set(node.name, entry);
      return entry.connection;
    },
    /** Forgets a connection that failed under a command, so the next call opens a new one. */
    discard(node: NodeSpec, ssh: NodeSSH): void {
      const current = entries.get(node.name);
      if (current?.ssh === ssh) {
        entries.delete(node.name);
        drop(current);
      }
    },
    async closeAll(): Promise<void> {
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map(async (entry) => drop(entry, await entry.connection)));
    },
    /** For tests and the bench: how many connections were opened, and how many are open now. */
    stats: () => ({
      connects,
      open: [...entries.values()].filter((entry) => entry.ssh?.isConnected()).length,
    }),
  };
};

const drop = (entry: Entry, connection?: Connection) => {
  const ssh = connection?.ok ? connection.ssh : entry.ssh;
  if (ssh) ssh.dispose();
  else void entry.connection.then((late) => late.ok && late.ssh.dispose());
};

/** The node's key, or the usual default keys when none is configured (as `ssh` does). */
const readKey = async (keyPath: string | undefined): Promise<{ privateKey: string } | { error: string }> => {
  const candidates = keyPath
    ? [expandHome(keyPath)]
    : DEFAULT_KEYS.map((name) => join(homedir(), '.ssh', name));
  for (const path of candidates) {
    try {
      return { privateKey: await readFile(path, 'utf8') };
    } catch (error) {
      if (keyPath) return { error: `cannot read the ssh key ${path}: ${(error as Error).message}` };
    }
  }
  return { error: `no ssh key: none of ${candidates.join(', ')} exists; set fleet.ssh.key` };
};
