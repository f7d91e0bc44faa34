import { GitError, GitPluginError, type SimpleGit, simpleGit } from 'simple-git';

/** Fetch progress ("Receiving objects:  42%…", each update ending in \r) is noise in an error. */
const withoutProgress = (stderr: string): string =>
  stderr
    .split(/[\r\n]+/)
    .filter((line) => !/^(remote: )?([A-Z][a-z]+( [a-z]+)?: +\d|Total \d)/.test(line) && line.trim() !== '')
    .join('\n');

/** A git command that exited non-zero; `exitCode` lets callers tell "no" (1) from "broken" (128). */
export class GitExitError extends GitError {
  readonly exitCode: number;

  constructor(exitCode: number, stderr: string) {
    super(undefined, withoutProgress(stderr) || `git exited with ${exitCode}`);
    this.name = 'GitExitError';
    this.exitCode = exitCode;
  }
}

export interface GitRunnerOptions {
  /** The bare repository every command runs against. */
  gitDir: string;
  /** The environment git runs with: PATH at least; HOME / SSH_AUTH_SOCK for private origins. */
  env: Readonly<Record<string, string>>;
  /** Kill a git process that has printed nothing for this long (a hung fetch). */
  idleTimeoutMs: number;
  /** Aborting kills running git processes and refuses new ones (used by `close()`). */
  signal: AbortSignal;
}

export interface GitRunner {
  /** Runs git; rejects with GitExitError on a non-zero exit. */
  run(args: readonly string[]): Promise<string>;
  /** Runs git; an exit code listed in `okCodes` resolves as `{ exitCode }` instead of rejecting. */
  probe(args: readonly string[], okCodes?: readonly number[]): Promise<{ exitCode: number; stdout: string }>;
  /** Runs `task` after every earlier write has settled: one writer per mirror, readers run freely. */
  serialize<T>(task: () => Promise<T>): Promise<T>;
}

/**
 * The one door to git for a mirror. GIT_DIR is always set, so a broken mirror can never make git
 * walk up and find some other repository around it; GIT_TERMINAL_PROMPT=0 makes a private origin
 * without credentials fail instead of waiting for a password on the bot's terminal.
 */
export const createGitRunner = (options: GitRunnerOptions): GitRunner => {
  const env = { ...options.env, GIT_DIR: options.gitDir, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  const git: SimpleGit = simpleGit({
    baseDir: options.gitDir,
    abort: options.signal,
    maxConcurrentProcesses: 6,
    timeout: { block: options.idleTimeoutMs },
    // simple-git rejects guarded variables (GIT_*) unless they are named here.
    allowEnvironment: Object.keys(env).filter((key) => key.startsWith('GIT_')),
    // simple-git's default treats "exit 1 with empty stderr" as success; we need the exit code.
    // Aborts and timeouts stay GitPluginErrors; a failed spawn (negative code) stays as it is.
    errors: (error, result) => {
      if (error instanceof GitPluginError || !(result.exitCode > 0)) return error;
      return new GitExitError(result.exitCode, Buffer.concat(result.stdErr).toString('utf8'));
    },
  }).env(env);

  let tail: Promise<unknown> = Promise.resolve();
  const serialize = <T>(task: () => Promise<T>): Promise<T> => {
    const next = tail.then(task, task);
    tail = next.catch(() => undefined);
    return next;
  };

  const run = (args: readonly string[]) => git.raw([...args]);
  const probe = async (args: readonly string[], okCodes: readonly number[] = [1]) => {
    try {
      return { exitCode: 0, stdout: await run(args) };
    } catch (error) {
      if (error instanceof GitExitError && okCodes.includes(error.exitCode)) {
        return { exitCode: error.exitCode, stdout: '' };
      }
      throw error;
    }
  };
  return { run, probe, serialize };
};
