import type { NodeSSH } from 'node-ssh';
import { shellQuote } from '../../engine/fleet/shell-quote.js';
import type { OutputBuffer } from './output.js';

/** The line our wrapper writes to stderr first: the process group to kill when we stop the command. */
const MARK = 'heckler-pgid';
/** Give up looking for the line after this much stderr (a login shell that chatters on stderr first). */
const SEARCH_LIMIT = 4096;

/**
 * The command line the node's login shell receives.
 *
 * - `timeout` is the node's own deadline: it kills the command even when we can no longer reach the
 *   node. It gets a second more than our timer, so normally we stop the command first and know why.
 *   `--kill-after` follows with SIGKILL for commands that ignore SIGTERM.
 * - `exec` gives `timeout` the shell's pid, which leads the process group of everything the command
 *   starts, and the session (sshd starts the shell in a session of its own); the pid goes to stderr
 *   first, so that we can kill them from a second channel. (ssh's own "signal" request is refused
 *   by OpenSSH for root logins, the usual Puppet user.)
 */
export const remoteCommand = (command: string, timeoutMs: number): string =>
  `echo "${MARK} $$" >&2; exec timeout --kill-after=5s ${Math.ceil(timeoutMs / 1000) + 1}s sh -c ${shellQuote(command)}`;

/**
 * SIGTERM to everything the command started. Its group is not enough: a `timeout` inside the
 * command (Puppet runs under one) moves what it runs into a group of its own, which a group kill
 * misses, so Puppet ran on after we stopped it. Those stay in the command's session, which
 * `pkill -s` reaches; the group kill stays for nodes without pkill. Our `timeout` is in the group,
 * forwards the signal, and sends SIGKILL to the group 5 s later if needed; an inner `timeout`
 * gives its command its own kill-after (Puppet's, to release its lock).
 */
export const killRemoteGroup = async (ssh: NodeSSH, pid: number): Promise<void> => {
  if (!Number.isSafeInteger(pid) || pid <= 1) return;
  await ssh
    .execCommand(
      `pkill -TERM -s ${pid} 2>/dev/null; kill -TERM -- -${pid} 2>/dev/null || kill -TERM ${pid} 2>/dev/null; true`,
    )
    .catch(() => {});
};

/**
 * Passes stderr through to `out`, minus the wrapper's pid line, which it reports once through
 * `onPid`. Works on bytes (latin1 keeps offsets equal to byte offsets) so UTF-8 is never split.
 */
export class MarkedStderr {
  private head = Buffer.alloc(0);
  private searching = true;

  constructor(
    private readonly out: OutputBuffer,
    private readonly onPid: (pid: number) => void,
  ) {}

  push(chunk: Buffer): void {
    if (!this.searching) {
      this.out.push(chunk);
      return;
    }
    this.head = Buffer.concat([this.head, chunk]);
    const match = new RegExp(`(^|\\n)${MARK} (\\d+)\\n`).exec(this.head.toString('latin1'));
    if (match) {
      const start = match.index + (match[1] as string).length;
      this.out.push(this.head.subarray(0, start));
      this.out.push(this.head.subarray(match.index + match[0].length));
      this.searching = false;
      this.head = Buffer.alloc(0);
      this.onPid(Number(match[2]));
    } else if (this.head.length > SEARCH_LIMIT) this.end();
  }

  /** Flushes whatever was held back while looking for the line. */
  end(): void {
    if (!this.searching) return;
    this.searching = false;
    this.out.push(this.head);
    this.head = Buffer.alloc(0);
  }
}
