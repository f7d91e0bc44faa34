import { Readable } from 'node:stream';
import type { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import type { ExecResult } from '../../engine/ports/transport.js';
import { OutputBuffer, outputs, type Stop, statusOf, stopError } from './output.js';
import { killRemoteGroup, MarkedStderr } from './remote-group.js';

export interface RunSettings {
  timeoutMs: number;
  killGraceMs: number;
  maxOutputBytes: number | undefined;
  stdin: Buffer | undefined;
  signal: AbortSignal | undefined;
}

/** How a command ended; `started: false` means it never reached the node, so retrying is safe. */
export type RunOutcome =
  | { started: true; result: Omit<ExecResult, 'node' | 'durationMs'> }
  | { started: false; error: string };

/**
 * Runs `command` (wrapped by `remoteCommand`) on an open connection, streaming its output through
 * ssh2 directly: node-ssh's execCommand keeps every chunk whatever we keep (1 GiB from one node
 * crashed the bot). Each stream keeps at most the cap.
 *
 * On timeout or abort: kill the command on the node (its process group and session), keep reading
 * until the channel closes, which it does once they are gone, and give up after killGraceMs: close
 * the channel and report without it (the node's own `timeout` finishes the job if we could not).
 * Past the cap: the same kill, but nothing more is read (stopOutput).
 */
export const runOnConnection = (ssh: NodeSSH, command: string, settings: RunSettings): Promise<RunOutcome> =>
  new Promise((resolve) => {
    let channel: ClientChannel | undefined;
    let pid: number | undefined;
    let stopped: Stop | undefined;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const stop = (why: Stop) => {
      if (stopped !== undefined || settled) return;
      stopped = why;
      if (why === 'output') stopOutput();
      else if (pid !== undefined) void killRemoteGroup(ssh, pid);
      timers.push(
        setTimeout(() => {
          channel?.close();
          finish(
            channel
              ? ended(null, null)
              : { started: false, error: `${why.replace('_', ' ')} before it started` },
          );
        }, settings.killGraceMs),
      );
    };
    /**
     * Past the cap nothing more is wanted. Reading on would mean receiving (and decrypting) all the
     * node sends until the kill lands: hundreds of MB a second of garbage for the collector. Paused,
     * ssh2 stops opening the channel's window, so at most one window (2 MiB) more is on its way.
     * Once the kill is sent, close: the drained rest is dropped. Without the pid, close at once:
     * the command's pipes close, and its next write ends it.
     */
    const stopOutput = () => {
      channel?.pause();
      channel?.stderr.pause();
      const killed = pid === undefined ? Promise.resolve() : killRemoteGroup(ssh, pid);
      void killed.then(() => {
        channel?.close();
        // ssh2 reports the close after the buffered data was read.
        channel?.resume();
        channel?.stderr.resume();
      });
    };
    const stdout = new OutputBuffer('stdout', settings.maxOutputBytes, () => stop('output'));
    const stderr = new OutputBuffer('stderr', settings.maxOutputBytes, () => stop('output'));
    const marked = new MarkedStderr(stderr, (found) => {
      pid = found;
      if (stopped) void killRemoteGroup(ssh, found);
    });
    const startedAt = Date.now();

    const finish = (outcome: RunOutcome) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      settings.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const ended = (code: number | null, signal: string | null): RunOutcome => {
      marked.end();
      // 124 is `timeout`'s own exit code: the node's deadline fired before our timer did.
      const nodeDeadline = code === 124 && Date.now() - startedAt >= settings.timeoutMs;
      const why = stopped ?? (nodeDeadline ? 'timed_out' : undefined);
      const error =
        why !== undefined
          ? stopError(why, settings.timeoutMs, [stdout, stderr])
          : code === null && signal === null
            ? 'the connection was lost while the command ran; its outcome is unknown'
            : signal !== null
              ? `killed by SIG${signal}`
              : undefined;
      return {
        started: true,
        result: {
          status: statusOf(code, why),
          exitCode: code,
          ...outputs(stdout, stderr),
          ...(error && { error }),
        },
      };
    };
    const onAbort = () => stop('cancelled');
    settings.signal?.addEventListener('abort', onAbort, { once: true });
    timers.push(setTimeout(() => stop('timed_out'), settings.timeoutMs));

    const client = ssh.connection;
    if (!client) return finish({ started: false, error: 'not connected' });
    try {
      client.exec(command, (error, opened) => {
        if (error) return finish({ started: false, error: error.message });
        channel = opened;
        // We gave up before the node answered: nothing is waiting for this channel any more.
        if (settled) opened.close();
        // Writing stdin to a command that exited early fails; the exit status says what happened.
        opened.on('error', () => {});
        opened.on('data', (chunk: Buffer) => stdout.push(chunk));
        opened.stderr.on('data', (chunk: Buffer) => marked.push(chunk));
        let code: number | null = null;
        let signal: string | null = null;
        opened.on('exit', (exitCode: number | null, exitSignal?: string) => {
          code = exitCode ?? null;
          signal = exitSignal ?? null;
        });
        opened.on('close', () => finish(ended(code, signal)));
        // A Readable, not one write: pipe() follows the channel's flow control for multi-MB bundles.
        if (settings.stdin === undefined) opened.end();
        else Readable.from([settings.stdin]).pipe(opened);
      });
    } catch (error) {
      // ssh2 throws 'Not connected' at once when the socket is gone.
      finish({ started: false, error: (error as Error).message });
    }
  });
