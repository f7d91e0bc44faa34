import type { ExecResult, ExecStatus } from '../../engine/ports/transport.js';

/** Per stream. A node's reduced report is kilobytes; a runaway command must not take the bot's memory. */
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/**
 * Collects a stream as Buffers and decodes once at the end: decoding chunk by chunk would split
 * multi-byte UTF-8 characters that straddle two chunks.
 */
export class OutputBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** Bytes beyond the limit, counted but not kept. */
  dropped = 0;

  constructor(private readonly limit = MAX_OUTPUT_BYTES) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (room <= 0) {
      this.dropped += chunk.length;
      return;
    }
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(kept);
    this.size += kept.length;
    this.dropped += chunk.length - kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** stdout and stderr as strings; a truncation is said on stderr, where a parser of stdout will not trip on it. */
export const outputs = (
  stdout: OutputBuffer,
  stderr: OutputBuffer,
): Pick<ExecResult, 'stdout' | 'stderr'> => {
  const notes = [
    stdout.dropped > 0 && `[heckler: stdout cut off, ${stdout.dropped} bytes dropped]`,
    stderr.dropped > 0 && `[heckler: stderr cut off, ${stderr.dropped} bytes dropped]`,
  ].filter((note) => note !== false);
  const suffix = notes.length === 0 ? '' : `\n${notes.join('\n')}\n`;
  return { stdout: stdout.text(), stderr: stderr.text() + suffix };
};

/** The result for a command that never ran: the node could not be reached, or we gave up first. */
export const notRun = (node: string, error: string, startedAt: number): ExecResult => ({
  node,
  status: 'unreachable',
  exitCode: null,
  stdout: '',
  stderr: '',
  durationMs: Date.now() - startedAt,
  error,
});

/** ok/failed from how the command ended; `stopped` (our own kill) wins over the exit code it caused. */
export const statusOf = (
  exitCode: number | null,
  stopped: 'timed_out' | 'cancelled' | undefined,
): ExecStatus => {
  if (stopped === 'timed_out') return 'timed_out';
  return exitCode === 0 && stopped === undefined ? 'ok' : 'failed';
};

/** Seconds for messages: `1.5s`. */
export const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))}s`;

/** Both transports need a default: a command with no deadline could hang a fan-out forever. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 60 * 60 * 1000;

/** After a kill, how long to wait for the command to end before reporting without it. */
export const KILL_GRACE_MS = 6_000;

/** Standard input as one Buffer (strings as UTF-8). */
export const toBuffer = (stdin: Buffer | string): Buffer =>
  typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : stdin;
