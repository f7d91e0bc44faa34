import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunResult {
  /** Exit code, or null when the process was killed by a signal (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when `timeoutMs` ran out and the process was killed. */
  timedOut: boolean;
}

export interface RunOptions {
  input?: string;
  /** Kill the process (SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a program without a shell and collects its output. Never rejects on a non-zero exit. */
export const run = (command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });

/** Like `run`, but a non-zero exit is an error that carries the command line and its output. */
export const runOk = async (command: string, args: readonly string[], options: RunOptions = {}) => {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    const why = result.timedOut ? 'timed out' : `exited with ${result.code ?? result.signal}`;
    throw new Error(`${command} ${args.join(' ')} ${why}:\n${result.stderr}${result.stdout}`);
  }
  return result;
};

/**
 * Runs `task` over `items` with at most `limit` at a time; results keep the order of `items`. After
 * a failure no new item starts, and the first error is thrown once the running ones have settled
 * (so a caller's cleanup sees everything that was started).
 */
export const mapLimit = async <T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> => {
  const results = new Array<R>(items.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      const index = next++;
      try {
        results[index] = await task(items[index] as T, index);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
  return results;
};

/**
 * `count` distinct loopback ports nobody listens on right now. All are held open until the last is
 * found, so the kernel cannot hand out the same port twice.
 */
export const freePorts = async (count: number): Promise<number[]> => {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
    }
    return servers.map((server) => {
      const address = server.address();
      if (typeof address !== 'object' || address === null) throw new Error('no port from the kernel');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
};

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export const waitFor = async <T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 15_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
};

export interface Requirement {
  /** A program name looked up on PATH, or an absolute path. */
  command: string;
  /** The Debian package that provides it. */
  pkg: string;
}

/**
 * A fresh machine may lack a program: install its Debian package when running as root, otherwise
 * fail saying exactly what to install. Never a silent skip.
 */
export const ensureInstalled = (requirements: readonly Requirement[]): void => {
  const missing = requirements.filter((requirement) => !hasCommand(requirement.command));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((requirement) => requirement.pkg))];
  const names = missing.map((requirement) => requirement.command).join(', ');
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${names} not installed: install it (Debian: apt-get install -y ${packages.join(' ')}) and rerun`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', ...packages], { env, encoding: 'utf8' });
  let result = install();
  if (result.status !== 0) {
    spawnSync('apt-get', ['update'], { env, encoding: 'utf8' });
    result = install();
  }
  const still = missing.filter((requirement) => !hasCommand(requirement.command));
  if (result.status !== 0 || still.length > 0) {
    throw new Error(
      `could not install ${packages.join(' ')} with apt-get:\n${result.stderr ?? result.error?.message}`,
    );
  }
};

const hasCommand = (command: string): boolean =>
  command.startsWith('/')
    ? existsSync(command)
    : spawnSync('sh', ['-c', 'command -v "$0"', command], { stdio: 'ignore' }).status === 0;

/** The mount namespace of a process, e.g. `mnt:[4026532177]`, or undefined when it is gone. */
export const mountNamespaceOf = (pid: number): string | undefined => {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
};

/** Every live process, grouped by mount namespace. */
export const processesByMountNamespace = (): Map<string, number[]> => {
  const byNamespace = new Map<string, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const namespace = mountNamespaceOf(pid);
    if (namespace === undefined) continue;
    const pids = byNamespace.get(namespace) ?? [];
    pids.push(pid);
    byNamespace.set(namespace, pids);
  }
  return byNamespace;
};

/** SIGKILLs every process in the given mount namespaces right now (for `process.on('exit')`). */
export const killMountNamespacesSync = (namespaces: ReadonlySet<string>): void => {
  const own = mountNamespaceOf(process.pid);
  for (const [namespace, pids] of processesByMountNamespace()) {
    if (namespace === own || !namespaces.has(namespace)) continue;
    for (const pid of pids) signal(pid, 'SIGKILL');
  }
};

const signal = (pid: number, name: NodeJS.Signals) => {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
};

/**
 * Kills every process in the given mount namespaces: SIGTERM, then SIGKILL for whatever is left
 * after `graceMs`. Refuses the namespace this process lives in. Catches everything a node started
 * (sshd, its sessions, commands left running in the background), not only the pids we know.
 */
export const killMountNamespaces = async (namespaces: ReadonlySet<string>, graceMs = 2_000) => {
  const own = mountNamespaceOf(process.pid);
  if (own !== undefined && namespaces.has(own)) throw new Error(`refusing to kill our own namespace ${own}`);
  const members = () => {
    const pids: number[] = [];
    for (const [namespace, inNamespace] of processesByMountNamespace()) {
      if (namespaces.has(namespace)) pids.push(...inNamespace);
    }
    return pids;
  };
  for (const pid of members()) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (members().length === 0) return;
    await sleep(25);
  }
  for (const pid of members()) signal(pid, 'SIGKILL');
  await waitFor(() => members().length === 0, { timeoutMs: 5_000, what: 'processes to die after SIGKILL' });
};
