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
  /** ok: exit code 0; failed: ran and exited non-zero; unreachable: never ran; timed_out: killed. */
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
