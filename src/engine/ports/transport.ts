import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * How the engine reaches a node. SSH and local execution implement it (src/adapters); every
 * remote command goes through `exec`, so it is the one place to time out, record and redact.
 */
export interface NodeSpec {
  /** Inventory name: lowercase letters, digits, dots and dashes (validated by the config). */
  name: string;
  transport: 'ssh' | 'local';
  host: string;
  port: number;
  user: string;
  /** Private key file (ssh). */
  keyPath?: string;
  /** Puppet certname; defaults to the node name. */
  certname: string;
  /** Heckler's directory on the node: the checkout, the report processor and the applied state live under it. */
  workDir: string;
}

export type ExecStatus = 'ok' | 'failed' | 'unreachable' | 'timed_out';

export interface ExecResult {
  node: string;
  /**
   * ok: exit code 0; failed: ran and exited non-zero, or we stopped it (cancelled, or output over
   * the cap: `error` says which); unreachable: never ran; timed_out: killed at its deadline.
   */
  status: ExecStatus;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Why it was unreachable or timed out, in words a user can act on (host key, refused, DNS…). */
  error?: string;
}

export interface ExecOptions {
  /** Kill the command after this long; the result is `timed_out`. */
  timeoutMs?: number;
  /** Bytes for the command's standard input (e.g. a git bundle). */
  stdin?: Buffer | string;
  /** Stops the command (its process group on the node); the result is `failed`, 'cancelled while running'. */
  signal?: AbortSignal;
}

export interface NodeTransport {
  /**
   * Runs a shell command line on the node. Never throws for a node's own trouble: unreachable,
   * refused host keys and timeouts come back as results, so one bad node never fails the others.
   * `command` must be built from validated values with `shellQuote`; chat text never reaches it raw.
   */
  exec(node: NodeSpec, command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Whether the node answers at all (connects and runs `true`). */
  check(node: NodeSpec): Promise<ExecResult>;
  close(): Promise<void>;
}

const scopes = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs `work` so that every command it sends to nodes, however deep in the engine, also stops when
 * `signal` aborts. An apply's shutdown kills the Puppet runs of the nodes it was applying, and those
 * commands are sent several layers below it (fleet service, node run, code sync): a scope reaches
 * them without every layer in between passing a signal along.
 */
export const withExecSignal = <T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> => {
  const outer = scopes.getStore();
  return scopes.run(outer ? AbortSignal.any([outer, signal]) : signal, work);
};

/** What stops an exec: its caller's signal and its scope's. Transports read it when exec is called. */
export const execSignal = (options: ExecOptions): AbortSignal | undefined => {
  const scoped = scopes.getStore();
  if (!scoped) return options.signal;
  return options.signal ? AbortSignal.any([options.signal, scoped]) : scoped;
};
