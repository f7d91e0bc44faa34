import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../support/process.js';

const root = join(import.meta.dirname, '../..');

export interface BotProcess {
  child: ChildProcess;
  /** The HTTP port from the `heckler is listening` (or `metrics listening`) log line. */
  port: number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * The real bot (`node --import tsx src/main.ts --config FILE`) with `file` as its heckler.yml and
 * `env` as its whole environment (PATH and HOME added). Resolves once it logs the port it serves on.
 */
export const startBotProcess = async (options: {
  dir: string;
  file: Record<string, unknown>;
  env: Record<string, string>;
  /** Which log line names the port to use. */
  portFrom?: 'heckler is listening' | 'metrics listening';
}): Promise<BotProcess> => {
  const configPath = join(options.dir, 'heckler.yml');
  writeFileSync(configPath, JSON.stringify(options.file, null, 2));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/main.ts'), '--config', configPath],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const wanted = options.portFrom ?? 'heckler is listening';
  const port = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`the bot exited (${child.exitCode}):\n${out}`);
      for (const line of out.split('\n')) {
        if (!line.includes(`"msg":"${wanted}"`)) continue;
        const parsed = JSON.parse(line) as { port?: number };
        if (typeof parsed.port === 'number') return parsed.port;
      }
      return undefined;
    },
    { timeoutMs: 60_000, what: `'${wanted}' with a port` },
  );
  return {
    child,
    port,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
};
