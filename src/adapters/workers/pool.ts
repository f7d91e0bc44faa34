import { Worker } from 'node:worker_threads';
import { type ErrorCode, HecklerError } from '../../engine/errors.js';
import type { Logger } from '../../engine/ports/logger.js';
import type { FromWorker, ToWorker } from './protocol.js';

export const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export interface WorkerPoolOptions {
  /** Threads; jobs beyond that wait their turn. */
  size: number;
  logger: Logger;
  /** The worker's entry (tests give one that misbehaves on purpose). */
  entry?: URL;
  /** V8 limits per worker: a runaway job dies alone instead of taking the bot's heap with it. */
  resourceLimits?: { maxOldGenerationSizeMb?: number };
  /**
   * Calls `next` when the bot's thread may clone the next part of a job, in or out (default: the
   * next turn of the event loop; the bot waits until Slack's waiting requests are acked).
   */
  later?: (next: () => void) => void;
}

export interface JobResult {
  parts: unknown[];
  value: unknown;
}

interface Job {
  id: number;
  task: string;
  parts: readonly unknown[];
  args: unknown;
  received: unknown[];
  resolve(result: JobResult): void;
  reject(error: Error): void;
  settled: boolean;
}

interface Slot {
  worker: Worker;
  job?: Job;
}

/**
 * A few worker threads running named pure tasks (src/adapters/workers/tasks.ts). A job's input is
 * posted in parts, yielding to the event loop between parts; its result comes back in parts, each
 * asked for after a turn of the loop. A
 * worker that dies fails its job with WORKER_FAILED and is replaced; the next job runs on the new one.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly entry: URL;
  private readonly later: (next: () => void) => void;

  constructor(private readonly options: WorkerPoolOptions) {
    if (!(Number.isInteger(options.size) && options.size >= 1))
      throw new RangeError(`a worker pool needs at least one thread, got ${options.size}`);
    this.entry = options.entry ?? WORKER_ENTRY;
    this.later = options.later ?? setImmediate;
  }

  /** Resolves when the bot's thread may take the next step of a long loop (`later`). */
  readonly turn = (): Promise<void> => new Promise((resolve) => this.later(resolve));

  /** Worker threads alive now. */
  get threads(): number {
    return this.slots.length;
  }

  /** Runs `task` in a worker on `parts` (each posted as its own message) and `args`. */
  run(task: string, parts: readonly unknown[], args: unknown): Promise<JobResult> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    return new Promise<JobResult>((resolve, reject) => {
      this.queue.push({
        id: this.nextId++,
        task,
        parts,
        args,
        received: [],
        resolve,
        reject,
        settled: false,
      });
      this.dispatch();
    });
  }

  /** Stops every worker; jobs not finished fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.settle(job, new Error('the worker pool closed'));
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.job) this.settle(slot.job, new Error('the worker pool closed'));
        await slot.worker.terminate();
      }),
    );
  }

  private spawn(): Slot {
    const worker = new Worker(this.entry, {
      // The entry loads its own TypeScript loader when it needs one; the parent's flags are not for it.
      execArgv: [],
      ...(this.options.resourceLimits ? { resourceLimits: this.options.resourceLimits } : {}),
    });
    const slot: Slot = { worker };
    // An idle pool does not keep the process alive; a worker with a job does (see dispatch).
    worker.unref();
    worker.on('message', (message: FromWorker) => this.receive(slot, message));
    worker.on('error', (error) => this.lost(slot, error));
    worker.on('exit', (code) => this.lost(slot, new Error(`the worker exited with code ${code}`)));
    return slot;
  }

  private receive(slot: Slot, message: FromWorker): void {
    const job = slot.job;
    if (!job || job.id !== message.id) return;
    if (message.type === 'part') {
      job.received.push(message.value);
      // The next part after a turn of the loop: requests waiting meanwhile are served first.
      this.later(() => {
        if (slot.job === job) slot.worker.postMessage({ id: job.id, type: 'more' } satisfies ToWorker);
      });
      return;
    }
    slot.job = undefined;
    slot.worker.unref();
    if (message.type === 'done') {
      job.settled = true;
      job.resolve({ parts: job.received, value: message.value });
    } else {
      const { code, hint } = message;
      this.settle(
        job,
        code
          ? new HecklerError(code as ErrorCode, message.message, hint ? { hint } : {})
          : new Error(message.message),
      );
    }
    this.dispatch();
  }

  /** A worker died (error, then exit; or exit alone): its job fails, a new worker takes its place. */
  private lost(slot: Slot, error: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    if (this.closed) return;
    this.slots.splice(index, 1);
    slot.worker.removeAllListeners();
    void slot.worker.terminate();
    this.options.logger.error(
      { err: error, task: slot.job?.task },
      'worker thread died; another starts with the next job',
    );
    if (slot.job) {
      this.settle(
        slot.job,
        new HecklerError(
          'WORKER_FAILED',
          `the worker thread running ${slot.job.task} died: ${error.message}`,
          {
            hint: 'nothing was recorded from it; try again, and if it happens again the bot log says why',
            cause: error,
          },
        ),
      );
    }
    this.dispatch();
  }

  private busy(): number {
    return this.slots.filter((slot) => slot.job).length;
  }

  private settle(job: Job, error: Error): void {
    if (job.settled) return;
    job.settled = true;
    job.reject(error);
  }

  private dispatch(): void {
    // Threads start with the first jobs that need them: a bot that never groups starts none.
    while (this.slots.length < Math.min(this.options.size, this.queue.length + this.busy())) {
      this.slots.push(this.spawn());
    }
    for (const slot of this.slots) {
      if (slot.job) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.job = job;
      slot.worker.ref();
      void this.send(slot, job);
    }
  }

  private async send(slot: Slot, job: Job): Promise<void> {
    const post = (message: ToWorker) => slot.worker.postMessage(message);
    for (const value of job.parts) {
      if (job.settled || slot.job !== job) return;
      post({ id: job.id, type: 'part', value });
      await this.turn();
    }
    if (job.settled || slot.job !== job) return;
    post({ id: job.id, type: 'run', task: job.task, args: job.args });
  }
}
