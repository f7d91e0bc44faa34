import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from './redis.js';

export interface GitDaemon {
  /** `127.0.0.1:PORT`: what `builds.allowedUrls` names to allow it. */
  hostPort: string;
  /** `git://127.0.0.1:PORT/<name>` for the repository in `<base>/<name>`. */
  url(name: string): string;
  stop(): Promise<void>;
}

/**
 * A real git server on loopback (`git daemon`, git:// protocol) exporting every repository under
 * `base`, so tests can watch remote URLs: chat may not watch local paths.
 */
export const startGitDaemon = async (base: string): Promise<GitDaemon> => {
  const port = await freePort();
  const child = spawn(
    'git',
    [
      'daemon',
      '--reuseaddr',
      '--export-all',
      '--verbose',
      `--base-path=${base}`,
      '--listen=127.0.0.1',
      `--port=${port}`,
      base,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to rumble')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`git daemon exited (${code}) before listening:\n${output}`)),
    );
    child.once('error', reject);
  });
  const hostPort = `127.0.0.1:${port}`;
  return {
    hostPort,
    url: (name) => `git://${hostPort}/${name}`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
};
