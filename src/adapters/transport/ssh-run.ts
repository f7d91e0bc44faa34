import { Readable } from 'node:stream';
import type { NodeSSH } from 'node-ssh';
import type { ClientChannel } from 'ssh2';
import type { ExecResult } from '../../engine/ports/transport.js';
import { OutputBuffer, outputs, seconds, statusOf } from './output.js';
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

type Stop = 'timed_out' | 'cancelled';

/**
 * Runs `command` (wrapped by `remoteCommand`) on an open connection. On timeout or abort: kill the
 * command's process group on the node, wait up to killGraceMs for it to end, then close the
 * channel and report without it (the node's own `timeout` finishes the job if we could not).
 */
export const runOnConnection = (ssh: NodeSSH, command: string, settings: RunSettings): Promise<RunOutcome> =>
  new Promise((resolve) => {
    const stdout = new OutputBuffer(settings.maxOutputBytes);
    const stderr = new OutputBuffer(settings.maxOutputBytes);
    const startedAt = Date.now();
    let channel: ClientChannel | undefined;
    let pid: number | undefined;
    let stopped: Stop | undefined;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const marked = new MarkedStderr(stderr, (found) => {
      pid = found;
      if (stopped) void killRemoteGroup(ssh, found);
    });

    const finish = (outcome: RunOutcome) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      settings.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const ended = (exitCode: number | null, why: Stop | undefined, error?: string): RunOutcome => {
      marked.end();
      const reason =
        why === 'timed_out'
          ? `killed after the ${seconds(settings.timeoutMs)} timeout`
          : why === 'cancelled'
            ? 'cancelled while running'
            : error;
      return {
        started: true,
        result: {
          status: statusOf(exitCode, why),
          exitCode,
          ...outputs(stdout, stderr),
          ...(reason && { error: reason }),
        },
      };
    };
    const stop = (why: Stop) => {
      if (stopped !== undefined || settled) return;
      stopped = why;
      if (pid !== undefined) void killRemoteGroup(ssh, pid);
      timers.push(
        setTimeout(() => {
          channel?.close();
          finish(
            channel
              ? ended(null, why)
              : { started: false, error: `${why.replace('_', ' ')} before it started` },
          );
        }, settings.killGraceMs),
      );
    };
    const onAbort = () => stop('cancelled');
    settings.signal?.addEventListener('abort', onAbort, { once: true });
    timers.push(setTimeout(() => stop('timed_out'), settings.timeoutMs));

    ssh
      .execCommand(command, {
        noTrim: true,
        // A Readable, not one write: pipe() follows the channel's flow control for multi-MB bundles.
        ...(settings.stdin !== undefined && { stdin: Readable.from(settings.stdin) }),
        onChannel: (opened) => {
          channel = opened;
          // Writing stdin to a command that exited early fails; the exit status says what happened.
          opened.on('error', () => {});
        },
        onStdout: (chunk) => stdout.push(chunk),
        onStderr: (chunk) => marked.push(chunk),
      })
      .then(
        (response) => {
          const elapsed = Date.now() - startedAt;
          // 124 is `timeout`'s own exit code: the node's deadline fired before our timer did.
          const nodeDeadline = response.code === 124 && elapsed >= settings.timeoutMs;
          const why = stopped ?? (nodeDeadline ? 'timed_out' : undefined);
          const lost = response.code === null && response.signal === null;
          const error = lost
            ? 'the connection was lost while the command ran; its outcome is unknown'
            : response.signal !== null
              ? `killed by SIG${response.signal}`
              : undefined;
          finish(ended(response.code, why, error));
        },
        (error: Error) => finish({ started: false, error: error.message }),
      );
  });
