import type { ExecResult, ExecStatus } from '../../engine/ports/transport.js';

/**
 * Per stream. A node's reduced report is kilobytes (diffs included, rarely a few MB), and Puppet's
 * own stdout is cut to 64 KiB on the node; a runaway command must not take the bot's memory. At
 * 16 MiB, a node printing 1 GiB costs the bot about 40 MiB of RSS while it is stopped (32 MiB
 * cost up to 70: the chunks kept, plus the garbage of receiving them).
 */
export const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** What a stream over the cap keeps: its start, enough to see what flooded it. */
export const KEPT_WHEN_OVER = 64 * 1024;

export type StreamName = 'stdout' | 'stderr';

/** Why we stopped a command ourselves: our deadline, the caller's abort, or output over the cap. */
export type Stop = 'timed_out' | 'cancelled' | 'output';

/**
 * Collects a stream as Buffers and decodes once at the end: decoding chunk by chunk would split
 * multi-byte UTF-8 characters that straddle two chunks. The first chunk that would take it past
 * the limit calls `onOver` (the transport stops the command); from then on nothing more is kept,
 * and what was kept shrinks to its first KEPT_WHEN_OVER bytes, so the memory goes back at once.
 */
export class OutputBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  /** The stream went past the limit. */
  over = false;

  constructor(
    readonly name: StreamName,
    readonly limit = MAX_OUTPUT_BYTES,
    private readonly onOver: (stream: OutputBuffer) => void = () => {},
  ) {}

  push(chunk: Buffer): void {
    if (this.over || chunk.length === 0) return;
    if (this.size + chunk.length <= this.limit) {
      this.chunks.push(chunk);
      this.size += chunk.length;
      return;
    }
    this.over = true;
    const kept = Math.min(this.size, KEPT_WHEN_OVER);
    this.chunks = [Buffer.concat(this.chunks, kept)];
    this.size = kept;
    this.onOver(this);
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** `16 MiB`, `0.5 MiB`. */
export const mebibytes = (bytes: number): string => `${Number((bytes / 1024 / 1024).toFixed(2))} MiB`;

/** The result's error when a stream went over the cap: what happened, and what to look for. */
export const overflowError = (stream: OutputBuffer): string =>
  `output over ${mebibytes(stream.limit)} on ${stream.name}: stopped, and the command was killed on the node ` +
  `(Heckler keeps at most ${mebibytes(stream.limit)} per stream: find what prints so much)`;

/** stdout and stderr as strings; a stop at the cap is said on stderr, where a parser of stdout will not trip on it. */
export const outputs = (
  stdout: OutputBuffer,
  stderr: OutputBuffer,
): Pick<ExecResult, 'stdout' | 'stderr'> => {
  const notes = [stdout, stderr]
    .filter((stream) => stream.over)
    .map(
      (stream) =>
        `[heckler: ${stream.name} over ${mebibytes(stream.limit)}: stopped; its first ${KEPT_WHEN_OVER / 1024} KiB are above]`,
    );
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
export const statusOf = (exitCode: number | null, stopped: Stop | undefined): ExecStatus => {
  if (stopped === 'timed_out') return 'timed_out';
  return exitCode === 0 && stopped === undefined ? 'ok' : 'failed';
};

/** The error for a command we stopped ourselves. */
export const stopError = (
  why: Stop,
  timeoutMs: number,
  streams: readonly OutputBuffer[],
): string | undefined => {
  if (why === 'timed_out') return `killed after the ${seconds(timeoutMs)} timeout`;
  if (why === 'cancelled') return 'cancelled while running';
  const over = streams.find((stream) => stream.over);
  return over && overflowError(over);
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
