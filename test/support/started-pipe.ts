import { execFileSync } from 'node:child_process';
import { closeSync, constants, createReadStream, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StartedPipe {
  /** Where the command under test writes a line once it runs (`echo > PATH`); in /tmp, which the SSH test nodes share. */
  path: string;
  /** Resolves when something was written: the command is running. */
  started: Promise<void>;
  /** Unblocks a reader still waiting (the command never ran) and removes the pipe. */
  remove(): void;
}

/**
 * A named pipe a remote or local command writes to once it is running, so a test acts on that
 * event (abort it, stop its node) instead of sleeping for a guess at how long starting takes.
 */
export const startedPipe = (): StartedPipe => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-started-'));
  const path = join(dir, 'started');
  execFileSync('mkfifo', [path]);
  const stream = createReadStream(path);
  const started = new Promise<void>((resolve, reject) => {
    stream.once('data', () => resolve());
    stream.once('error', reject);
    stream.once('end', () => reject(new Error(`${path} closed before anything was written to it`)));
  });
  // A test that fails before the command runs must not leave an unhandled rejection behind.
  started.catch(() => {});
  return {
    path,
    started,
    remove: () => {
      try {
        // Opening for writing releases a reader blocked in open() (a thread of libuv's pool).
        closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // no reader waiting
      }
      stream.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
