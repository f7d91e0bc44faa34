import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * A bench process that speaks JSON lines: one object per line on stdout, commands on stdin. Its
 * stderr is kept (the tail is shown if it dies) and never mixed into the bench's output.
 */
export class JsonChild {
  private readonly lines: Record<string, unknown>[] = [];
  private readonly waiters = new Set<() => void>();
  private stderr = '';
  private exited: string | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not ours (a library printing to stdout): ignored.
      }
      this.wake();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    child.once('exit', (code, signal) => {
      this.exited = `exited with ${code ?? signal}`;
      this.wake();
    });
  }

  /** Starts `script` with this process's runtime flags (tsx's loader among them). */
  static start(name: string, script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): JsonChild {
    const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new JsonChild(name, child);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** CPU milliseconds the process has used so far, every thread (/proc, in 10 ms ticks). */
  cpuMs(): number {
    const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
    // After "pid (comm) ": utime and stime are fields 14 and 15 of the line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** The first line not yet taken that has `key`, waiting up to `timeoutMs` for it. */
  async take(key: string, timeoutMs = 300_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.lines.findIndex((line) => key in line);
      if (index >= 0) return this.lines.splice(index, 1)[0] as Record<string, unknown>;
      if (this.exited) throw new Error(`${this.name} ${this.exited} before saying ${key}:\n${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`${this.name} did not say ${key} within ${timeoutMs} ms:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exit = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  }
}
