import { isMainThread } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createBreeScheduler } from '../../../src/adapters/schedule/bree.js';
import type { Scheduler } from '../../../src/engine/ports/scheduler.js';
import { captureLogger } from '../../support/logger.js';
import { eventually } from '../docker/harness.js';

/** bree starts a worker per tick from the plain-JS job file; the task runs here, in the main thread. */

/** A promise the test opens: tasks wait on it instead of sleeping for a guessed time. */
const gate = () => {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
};
let scheduler: Scheduler | undefined;

afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

describe('the bree scheduler', () => {
  it('ticks from a bree worker and runs the task in the main thread, again and again', async () => {
    scheduler = createBreeScheduler({ logger: captureLogger().logger });
    const runs: boolean[] = [];
    await scheduler.every('ticker', 50, async () => void runs.push(isMainThread));
    await eventually(async () => (runs.length >= 3 ? true : undefined), 10_000);
    expect(runs.every(Boolean)).toBe(true);
  });

  it('does not start a task again while its last run still goes; the skipped ticks are logged', async () => {
    const log = captureLogger();
    scheduler = createBreeScheduler({ logger: log.logger });
    const first = gate();
    let active = 0;
    let most = 0;
    let runs = 0;
    await scheduler.every('slow', 40, async () => {
      active += 1;
      runs += 1;
      most = Math.max(most, active);
      if (runs === 1) await first.wait;
      active -= 1;
    });
    // The first run holds until a later tick has come and been skipped: the log says when.
    await eventually(async () => (/"job":"slow".*tick skipped/.test(log.text()) ? true : undefined), 10_000);
    expect(runs).toBe(1);
    first.open();
    await eventually(async () => (runs >= 2 ? true : undefined), 10_000);
    expect(most).toBe(1);
  });

  it('waits for a running task when stopped, and ticks no more', async () => {
    scheduler = createBreeScheduler({ logger: captureLogger().logger });
    const running = gate();
    let finished = 0;
    let started = 0;
    await scheduler.every('stopper', 30, async () => {
      started += 1;
      await running.wait;
      finished += 1;
    });
    await eventually(async () => (started >= 1 ? true : undefined), 10_000);
    const stopping = scheduler.stop();
    expect(finished).toBe(0);
    running.open();
    await stopping;
    expect(finished).toBe(started);
    // Another schedule is the clock: ten of its ticks are several of the stopped one's intervals.
    const witness = createBreeScheduler({ logger: captureLogger().logger });
    let ticks = 0;
    await witness.every('witness', 30, async () => {
      ticks += 1;
    });
    await eventually(async () => (ticks >= 10 ? true : undefined), 10_000);
    await witness.stop();
    expect(started).toBe(finished);
  });

  it('logs a failing task and keeps ticking; refuses a second schedule of one name and bad intervals', async () => {
    const log = captureLogger();
    scheduler = createBreeScheduler({ logger: log.logger });
    let calls = 0;
    await scheduler.every('flaky', 40, async () => {
      calls += 1;
      throw new Error('poll failed');
    });
    await eventually(async () => (calls >= 2 ? true : undefined), 10_000);
    expect(log.text()).toMatch(/poll failed.*scheduled task failed/);
    await expect(scheduler.every('flaky', 40, async () => undefined)).rejects.toThrow(
      /'flaky' exists already/,
    );
    await expect(scheduler.every('huge', 2 ** 31, async () => undefined)).rejects.toThrow(
      /outside 1 ms … 24 days/,
    );
  });
});
