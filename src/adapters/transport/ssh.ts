import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from '../../engine/ports/logger.js';
import {
  type ExecOptions,
  type ExecResult,
  execSignal,
  type NodeSpec,
  type NodeTransport,
} from '../../engine/ports/transport.js';
import type { HostKeyMode } from './host-keys.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, KILL_GRACE_MS, notRun, toBuffer } from './output.js';
import { remoteCommand } from './remote-group.js';
import { createPool, expandHome } from './ssh-pool.js';
import { runOnConnection } from './ssh-run.js';

export interface SshTransportOptions {
  /** OpenSSH known_hosts; `~/` is expanded. Missing means empty. */
  knownHostsPath: string;
  hostKeys: HostKeyMode;
  /** Commands (and connects) in flight across all nodes. */
  concurrency: number;
  connectTimeoutMs: number;
  keepaliveMs: number;
  logger: Logger;
  /** Channels at once on one node's connection; OpenSSH refuses more than MaxSessions (default 10). */
  sessionsPerNode?: number;
  /** For calls that pass no timeoutMs. */
  defaultTimeoutMs?: number;
  /** After a timeout, how long the killed command gets to end before we report without it. */
  killGraceMs?: number;
  maxOutputBytes?: number;
}

export interface SshTransport extends NodeTransport {
  /** Connections opened so far and open now (tests and the bench check reuse with it). */
  stats(): { connects: number; open: number };
}

/**
 * NodeTransport over SSH (node-ssh / ssh2). Results never reject: a node that cannot be reached,
 * refuses our key or presents a wrong host key is an `unreachable` result with the reason.
 */
export const createSshTransport = (options: SshTransportOptions): SshTransport => {
  const pool = createPool({
    policy: { knownHostsPath: expandHome(options.knownHostsPath), mode: options.hostKeys },
    connectTimeoutMs: options.connectTimeoutMs,
    keepaliveMs: options.keepaliveMs,
    logger: options.logger,
  });
  const limit = pLimit(options.concurrency);
  const sessions = new Map<string, LimitFunction>();
  const sessionLimit = (node: NodeSpec) => {
    const existing = sessions.get(node.name);
    if (existing) return existing;
    const created = pLimit(options.sessionsPerNode ?? 8);
    sessions.set(node.name, created);
    return created;
  };
  let closed = false;

  const execOnce = async (node: NodeSpec, command: string, execOptions: ExecOptions): Promise<ExecResult> => {
    const startedAt = Date.now();
    const timeoutMs = execOptions.timeoutMs ?? options.defaultTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const settings = {
      timeoutMs,
      killGraceMs: options.killGraceMs ?? KILL_GRACE_MS,
      maxOutputBytes: options.maxOutputBytes,
      stdin: execOptions.stdin === undefined ? undefined : toBuffer(execOptions.stdin),
      signal: execOptions.signal,
    };
    const wrapped = remoteCommand(command, timeoutMs);
    // One retry, only when the command never started because a reused connection had died under it.
    for (let attempt = 1; ; attempt++) {
      if (closed) return notRun(node.name, 'the ssh transport is closed', startedAt);
      if (execOptions.signal?.aborted) return notRun(node.name, 'cancelled before it ran', startedAt);
      const connection = await pool.get(node);
      if (!connection.ok) return notRun(node.name, connection.error, startedAt);
      const outcome = await sessionLimit(node)(() => runOnConnection(connection.ssh, wrapped, settings));
      if (outcome.started) {
        if (outcome.result.status === 'timed_out')
          options.logger.warn({ node: node.name, timeoutMs }, 'command timed out');
        else if (outcome.result.error?.startsWith('output over'))
          options.logger.warn(
            { node: node.name, error: outcome.result.error },
            'command output over the cap',
          );
        return { node: node.name, ...outcome.result, durationMs: Date.now() - startedAt };
      }
      const dead = !connection.ssh.isConnected();
      if (dead) pool.discard(node, connection.ssh);
      if (!dead || attempt >= 2)
        return notRun(node.name, `could not start the command: ${outcome.error}`, startedAt);
    }
  };

  const exec = (node: NodeSpec, command: string, execOptions: ExecOptions = {}) => {
    // Read now: the signal's scope belongs to the caller, not to whatever runs the queue later.
    const withSignal = { ...execOptions, signal: execSignal(execOptions) };
    return limit(() => execOnce(node, command, withSignal)).catch((error: unknown) =>
      // Not expected (every step above resolves), but a NodeTransport must never reject.
      notRun(
        node.name,
        `internal error: ${error instanceof Error ? error.message : String(error)}`,
        Date.now(),
      ),
    );
  };

  return {
    exec,
    check: (node) => exec(node, 'true', { timeoutMs: options.connectTimeoutMs }),
    close: async () => {
      // Queued calls are not dropped (their promises would never settle): they see `closed` and return.
      closed = true;
      await pool.closeAll();
    },
    stats: () => pool.stats(),
  };
};
