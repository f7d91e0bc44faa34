import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import {
  type ExecOptions,
  type ExecResult,
  execSignal,
  type NodeSpec,
  type NodeTransport,
} from '../../engine/ports/transport.js';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  KILL_GRACE_MS,
  notRun,
  OutputBuffer,
  outputs,
  type Stop,
  statusOf,
  stopError,
  toBuffer,
} from './output.js';

export interface LocalTransportOptions {
  /** Commands running at once (default 16): every "node" shares this one machine. */
  concurrency?: number;
  /** For calls that pass no timeoutMs. */
  defaultTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL of a timed-out command's process group. */
  killGraceMs?: number;
  maxOutputBytes?: number;
}

/**
 * Runs every node's commands on this machine with `sh -c` (the demo and test default). Same result
 * shape, timeouts and stdin as SSH: the engine cannot tell them apart.
 */
export const createLocalTransport = (options: LocalTransportOptions = {}): NodeTransport => {
  const limit = pLimit(options.concurrency ?? 16);
  const running = new Set<ChildProcess>();
  let closed = false;
  const settings = {
    defaultTimeoutMs: options.defaultTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    killGraceMs: options.killGraceMs ?? KILL_GRACE_MS,
    maxOutputBytes: options.maxOutputBytes,
  };
  const exec = (node: NodeSpec, command: string, execOptions: ExecOptions = {}) => {
    // Read now: the scope belongs to the caller, not to whatever runs the queue later.
    const options = { ...execOptions, signal: execSignal(execOptions) };
    return limit(() => {
      const startedAt = Date.now();
      if (closed) return notRun(node.name, 'the transport is closed', startedAt);
      if (options.signal?.aborted) return notRun(node.name, 'cancelled before it ran', startedAt);
      return runLocal({ node, command, options, settings, running, startedAt });
    });
  };
  return {
    exec,
    check: (node) => exec(node, 'true', { timeoutMs: 10_000 }),
    close: async () => {
      closed = true;
      for (const child of running) killGroup(child, 'SIGKILL');
    },
  };
};

interface LocalRun {
  node: NodeSpec;
  command: string;
  options: ExecOptions;
  settings: { defaultTimeoutMs: number; killGraceMs: number; maxOutputBytes: number | undefined };
  running: Set<ChildProcess>;
  startedAt: number;
}

const runLocal = ({ node, command, options, settings, running, startedAt }: LocalRun): Promise<ExecResult> =>
  new Promise((resolve) => {
    const timeoutMs = options.timeoutMs ?? settings.defaultTimeoutMs;
    // detached: the shell leads a new process group, so a kill reaches everything it started.
    const child = spawn('sh', ['-c', command], { detached: true, stdio: 'pipe' });
    running.add(child);
    const stdout = new OutputBuffer('stdout', settings.maxOutputBytes, () => stop('output'));
    const stderr = new OutputBuffer('stderr', settings.maxOutputBytes, () => stop('output'));
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let stopped: Stop | undefined;
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    const finish = (result: Omit<ExecResult, 'node' | 'durationMs' | 'stdout' | 'stderr'>) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      running.delete(child);
      const durationMs = Date.now() - startedAt;
      resolve({ node: node.name, ...result, ...outputs(stdout, stderr), durationMs });
    };
    const ended = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      const status = statusOf(exitCode, stopped);
      const error =
        stopped !== undefined
          ? stopError(stopped, timeoutMs, [stdout, stderr])
          : signal !== null
            ? `killed by ${signal}`
            : undefined;
      finish({ status, exitCode, ...(error !== undefined && { error }) });
    };
    const stop = (why: Stop) => {
      if (stopped !== undefined || settled) return;
      stopped = why;
      killGroup(child, 'SIGTERM');
      timers.push(setTimeout(() => killGroup(child, 'SIGKILL'), settings.killGraceMs));
    };
    const onAbort = () => stop('cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    timers.push(setTimeout(() => stop('timed_out'), timeoutMs));

    child.on('error', (error) => finish({ status: 'unreachable', exitCode: null, error: error.message }));
    // 'close' waits for stdout and stderr to end, which a background child can hold open; once the
    // shell has exited, give them a moment and then report without them.
    child.on('exit', (code, signal) => {
      timers.push(
        setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          ended(code, signal);
        }, 1_000),
      );
    });
    child.on('close', ended);
    // A command that exits without reading its input breaks the pipe: that is its business, not an error.
    child.stdin.on('error', () => {});
    child.stdin.end(options.stdin === undefined ? undefined : toBuffer(options.stdin));
  });

/**
 * Signals the command's process group; SIGTERM also reaches the rest of its session (`detached`
 * made the shell a session leader). A `timeout` inside the command (Puppet runs under one) moves
 * what it runs into a group of its own, which the group kill misses; it gets SIGTERM and its own
 * kill-after, as on SSH nodes (remote-group.ts).
 */
const killGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
  if (child.pid === undefined) return;
  const targets = signal === 'SIGTERM' ? [-child.pid, ...sessionMembers(child.pid)] : [-child.pid];
  for (const target of targets) {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  }
};

/** Pids in session `sid`, from /proc (Linux); none where /proc cannot be read. */
const sessionMembers = (sid: number): number[] => {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // `pid (comm) state ppid pgrp session …`: comm may hold spaces and parentheses, so count after the last `)`.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[3]) === sid) members.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return members;
};
