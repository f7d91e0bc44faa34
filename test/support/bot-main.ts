import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = join(import.meta.dirname, '../..');

export interface BotExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BotMain {
  child: ChildProcess;
  /** Lines written so far, in order. */
  stdout: string[];
  stderr: string[];
  /** Settles when the process has exited and its output is read to the end. */
  exited: Promise<BotExit>;
  /** Resolves with the first stdout line matching `pattern` (seen or to come); rejects if the process exits first. */
  line(pattern: RegExp): Promise<string>;
  /** SIGTERM, then the exit. */
  stop(): Promise<BotExit>;
}

/**
 * A directory holding `heckler.yml` (the given text, with `storage.dataDir` under the directory
 * unless the text names one), removed by `remove()`.
 */
export const configDir = (name: string, yaml: string) => {
  const dir = mkdtempSync(join(tmpdir(), `heckler-${name}-`));
  const path = join(dir, 'heckler.yml');
  const storage = /^storage:/m.test(yaml) ? '' : `storage:\n  dataDir: ${join(dir, 'data')}\n`;
  writeFileSync(path, `${storage}${yaml}`);
  return { dir, path, remove: () => rmSync(dir, { recursive: true, force: true }) };
};

/**
 * The real bot, `src/main.ts` under tsx as `npm start` runs it, with only the environment given
 * (PATH and HOME are added). Nothing here waits on a clock: callers wait for a line or the exit.
 */
export const startBotMain = (options: {
  args: readonly string[];
  env?: Record<string, string>;
  cwd?: string;
}): BotMain => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts'), ...options.args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const watchers = new Set<(line: string) => void>();
  const out = createInterface({ input: child.stdout! });
  const err = createInterface({ input: child.stderr! });
  out.on('line', (line) => {
    stdout.push(line);
    for (const watch of watchers) watch(line);
  });
  err.on('line', (line) => stderr.push(line));
  const exited = Promise.all([once(child, 'exit'), once(out, 'close'), once(err, 'close')]).then(
    ([[code, signal]]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }),
  );
  const line = (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const seen = stdout.find((l) => pattern.test(l));
      if (seen !== undefined) return resolve(seen);
      const watch = (l: string) => {
        if (!pattern.test(l)) return;
        watchers.delete(watch);
        resolve(l);
      };
      watchers.add(watch);
      void exited.then((exit) => {
        if (!watchers.delete(watch)) return;
        reject(
          new Error(
            `the bot exited (${exit.code ?? exit.signal}) before printing ${pattern}:\n${[...stdout, ...stderr].join('\n')}`,
          ),
        );
      });
    });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  return { child, stdout, stderr, exited, line, stop };
};
