import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../../src/adapters/workers/pool.js';
import { isHecklerError } from '../../../src/engine/errors.js';
import { captureLogger } from '../../support/logger.js';
import { turnsDuring } from '../../support/turns.js';

const MISBEHAVING = new URL('./misbehaving-worker.mjs', import.meta.url);

describe('WorkerPool', { timeout: 60_000 }, () => {
  let pool: WorkerPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  const start = (size = 1) => {
    const log = captureLogger();
    pool = new WorkerPool({ size, logger: log.logger, entry: MISBEHAVING });
    return { pool, log };
  };

  it('sends the parts in order and gets parts and value back', async () => {
    const { pool } = start();
    const parts = [{ a: 1 }, 'two', [3], { nested: { undefinedKept: undefined } }];
    const result = await pool.run('echo', parts, { args: true });
    expect(result).toEqual({ parts, value: { args: true } });
    expect('undefinedKept' in (result.parts[3] as { nested: object }).nested).toBe(true);
  });

  it('starts threads only when jobs need them', async () => {
    const { pool } = start(2);
    expect(pool.threads).toBe(0);
    await pool.run('echo', [], null);
    expect(pool.threads).toBe(1);
    await Promise.all([pool.run('echo', [], 1), pool.run('echo', [], 2), pool.run('echo', [], 3)]);
    expect(pool.threads).toBe(2);
  });

  it('takes the result one part per turn of the event loop, so requests waiting are served between parts', async () => {
    const { pool } = start();
    const { value: result, turns } = await turnsDuring(() => pool.run('count', [], { parts: 30 }));
    expect(result).toEqual({ parts: Array.from({ length: 30 }, (_, i) => i), value: 'counted' });
    // Each of the 30 parts is asked for after a turn: parts received in one go would take one or two.
    expect(turns).toBeGreaterThanOrEqual(30);
  });

  it('clones each part, in and out, only when `later` lets it (the bot: once Slack requests are acked)', async () => {
    const held: Array<() => void> = [];
    let wake: (() => void) | undefined;
    pool = new WorkerPool({
      size: 1,
      logger: captureLogger().logger,
      entry: MISBEHAVING,
      later: (next) => {
        held.push(next);
        wake?.();
      },
    });
    let done = false;
    const job = pool.run('echo', ['a', 'b'], 'value').then((result) => {
      done = true;
      wake?.();
      return result;
    });
    const heldOrDone = () =>
      new Promise<void>((resolve) => {
        wake = resolve;
        if (held.length > 0 || done) resolve();
      });
    // Two parts in (a turn after each), then two parts out (a turn before asking for each next one).
    let released = 0;
    for (await heldOrDone(); !done; await heldOrDone()) {
      held.shift()?.();
      released += 1;
    }
    expect(await job).toEqual({ parts: ['a', 'b'], value: 'value' });
    expect(released).toBe(4);
  });

  it('runs a job with no parts', async () => {
    const { pool } = start();
    expect(await pool.run('echo', [], 42)).toEqual({ parts: [], value: 42 });
  });

  it('fails a job whose worker exits under it with WORKER_FAILED, and runs the next on a new worker', async () => {
    const { pool, log } = start();
    const dying = pool.run('exit', [1, 2, 3], null);
    // Queued behind the dying job on the only thread: it must not hang with the dead worker.
    const next = pool.run('echo', ['after'], 'ok');
    const error = await dying.catch((e: unknown) => e);
    expect(isHecklerError(error, 'WORKER_FAILED')).toBe(true);
    expect((error as Error).message).toBe(
      'the worker thread running exit died: the worker exited with code 7',
    );
    expect((error as { hint?: string }).hint).toMatch(/try again/);
    expect(await next).toEqual({ parts: ['after'], value: 'ok' });
    expect(log.text()).toContain('worker thread died; another starts with the next job');
    expect(pool.threads).toBe(1);
  });

  it('fails a job whose worker throws outside any handler, and keeps serving', async () => {
    const { pool } = start();
    const error = await pool.run('throw', [], null).catch((e: unknown) => e);
    expect(isHecklerError(error, 'WORKER_FAILED')).toBe(true);
    expect((error as Error).message).toContain('boom in the worker');
    expect(await pool.run('echo', [], 'still here')).toEqual({ parts: [], value: 'still here' });
  });

  it('answers a task the worker does not know with its message, and keeps the worker', async () => {
    const { pool, log } = start();
    await expect(pool.run('nonsense', [], null)).rejects.toThrow('no task named nonsense');
    expect(await pool.run('echo', [], 1)).toEqual({ parts: [], value: 1 });
    expect(log.text()).not.toContain('worker thread died');
  });

  it('runs jobs on every thread and keeps each job to its own parts', async () => {
    const { pool } = start(2);
    const jobs = Array.from({ length: 6 }, (_, i) =>
      pool.run(
        'echo',
        Array.from({ length: 5 }, (_, k) => `${i}.${k}`),
        i,
      ),
    );
    const results = await Promise.all(jobs);
    results.forEach((result, i) => {
      expect(result).toEqual({ parts: Array.from({ length: 5 }, (_, k) => `${i}.${k}`), value: i });
    });
  });

  it('fails waiting and running jobs when closed, and refuses new ones', async () => {
    const { pool } = start();
    const hanging = pool.run(
      'echo',
      Array.from({ length: 50 }, (_, i) => i),
      null,
    );
    const waiting = pool.run('echo', [], null);
    const failed = Promise.all([
      expect(hanging).rejects.toThrow('the worker pool closed'),
      expect(waiting).rejects.toThrow('the worker pool closed'),
    ]);
    await pool.close();
    await failed;
    await expect(pool.run('echo', [], null)).rejects.toThrow('the worker pool is closed');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a pool of %s threads', (size) => {
    expect(() => new WorkerPool({ size, logger: captureLogger().logger, entry: MISBEHAVING })).toThrow(
      RangeError,
    );
  });
});
