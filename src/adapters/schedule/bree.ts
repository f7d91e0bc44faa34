import { fileURLToPath } from 'node:url';
import Bree from 'bree';
import type { Logger } from '../../engine/ports/logger.js';
import type { Scheduler } from '../../engine/ports/scheduler.js';
import { checkCron, checkTimeZone, cronValidateOptions } from './cron.js';

/** The one job file every schedule uses: it posts `tick` to the main thread and ends. */
export const TICK_JOB = fileURLToPath(new URL('./tick-job.mjs', import.meta.url));

/** Node timers overflow past this and fire at once. */
const MAX_INTERVAL_MS = 2 ** 31 - 1;

export interface BreeSchedulerOptions {
  logger: Logger;
}

/**
 * The Scheduler port over bree. bree starts a fresh worker per tick; ours only messages back, and
 * the task runs here in the main thread where the engine lives. A task still running when its
 * next tick comes is not started again (bree only refuses overlapping workers, and the worker is
 * long gone by then).
 */
export const createBreeScheduler = ({ logger }: BreeSchedulerOptions): Scheduler => {
  const tasks = new Map<string, () => Promise<void>>();
  const running = new Map<string, Promise<void>>();
  let stopped = false;

  const onTick = (name: string) => {
    const task = tasks.get(name);
    if (!task || stopped) return;
    if (running.has(name)) {
      logger.debug({ job: name }, 'scheduled task still running; tick skipped');
      return;
    }
    const run = Promise.resolve()
      .then(task)
      .catch((error: unknown) => logger.error({ err: error, job: name }, 'scheduled task failed'))
      .finally(() => running.delete(name));
    running.set(name, run);
  };

  const bree = new Bree({
    root: false,
    jobs: [],
    // The job is plain JavaScript: no TypeScript loader (tsx, vitest) in the worker, so it starts fast.
    worker: { execArgv: [] },
    // bree narrates every worker at info; those lines are noise at our info level.
    logger: {
      info: (message: unknown) => logger.debug({ bree: String(message) }, 'scheduler'),
      warn: (message: unknown) => logger.warn({ bree: String(message) }, 'scheduler'),
      error: (message: unknown) => logger.error({ bree: String(message) }, 'scheduler'),
    },
    workerMessageHandler: ({ name, message }) => {
      if (message === 'tick') onTick(name);
    },
    errorHandler: (error, { name }) => logger.warn({ err: error, job: name }, 'scheduler worker failed'),
  });

  const register = (name: string, task: () => Promise<void>) => {
    if (tasks.has(name)) throw new Error(`a schedule named '${name}' exists already`);
    tasks.set(name, task);
  };

  return {
    every: async (name, intervalMs, task) => {
      if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > MAX_INTERVAL_MS) {
        throw new RangeError(`schedule '${name}': interval ${intervalMs} ms is outside 1 ms … 24 days`);
      }
      register(name, task);
      // No `timeout`: the first tick comes after one interval, not at start.
      await bree.add({ name, path: TICK_JOB, interval: intervalMs });
      await bree.start(name);
    },
    cron: async (name, { expression, timezone }, task) => {
      // The config checked both already; a bad value from elsewhere fails here, before bree guesses.
      const check = checkCron(expression);
      if (!check.ok) throw new RangeError(`schedule '${name}': ${check.errors.join('; ')}`);
      if (!checkTimeZone(timezone))
        throw new RangeError(`schedule '${name}': unknown time zone '${timezone}'`);
      register(name, task);
      await bree.add({
        name,
        path: TICK_JOB,
        cron: expression.trim(),
        hasSeconds: check.hasSeconds,
        cronValidate: cronValidateOptions(check.hasSeconds),
        timezone,
      });
      await bree.start(name);
    },
    stop: async () => {
      stopped = true;
      await bree.stop();
      await Promise.allSettled([...running.values()]);
    },
  };
};
