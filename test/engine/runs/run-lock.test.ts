import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { HecklerError } from '../../../src/engine/errors.js';
import type { Locks } from '../../../src/engine/ports/index.js';
import { createRunLock, runLockKey } from '../../../src/engine/runs/run-lock.js';
import { createStorage, type Storage } from '../../../src/storage/keyv.js';
import { captureLogger } from '../../support/logger.js';
import { waitFor } from '../../support/process.js';

/** The node run lock over real Redis locks: two "bots" are two run locks with their own owners. */
const redisUrl = inject('redisUrl');
const opened: Storage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
const open = async () => {
  const storage = await createStorage({
    redisUrl,
    keyPrefix: `t${randomUUID().slice(0, 8)}`,
    dataDir: join(tmpdir(), 'heckler-unused'),
  });
  opened.push(storage);
  return storage.locks;
};

/** A promise and the function that settles it: work that runs until the test lets it finish. */
const gate = () => {
  let open: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { closed, open };
};

describe('node run lock', () => {
  it('holds run:<node> while the work runs, renews it, and lets go after, also when the work throws', async () => {
    const locks = await open();
    const { logger } = captureLogger();
    const withRunLock = createRunLock({ locks, owner: 'heckler:bot-a', ttlMs: 2_000, renewMs: 20 }, logger);
    const work = gate();
    const running = withRunLock('web1', 'noop of abc1234', () => work.closed.then(() => 'done'));
    const first = await waitFor(() => locks.inspect(runLockKey('web1')), { what: 'the run lock' });
    expect(first).toMatchObject({ owner: 'heckler:bot-a', reason: 'noop of abc1234' });
    // Renewed while it runs: the expiry moves on without the work doing anything.
    await waitFor(async () => ((await locks.inspect(runLockKey('web1')))?.expiresAt ?? 0) > first.expiresAt, {
      what: 'a renewal',
    });
    work.open();
    expect(await running).toEqual({ ok: true, value: 'done' });
    expect(await locks.inspect(runLockKey('web1'))).toBeUndefined();
    const failure = new Error('ssh went away');
    await expect(withRunLock('web1', 'noop of abc1234', () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await locks.list()).toEqual([]);
  });

  it('a second bot waits for the first one’s run, says so in its log, then runs', async () => {
    const locks = await open();
    const a = createRunLock({ locks, owner: 'heckler:bot-a' }, captureLogger().logger);
    const bLog = captureLogger();
    const b = createRunLock({ locks, owner: 'heckler:bot-b', pollMs: 20 }, bLog.logger);
    const work = gate();
    const order: string[] = [];
    const first = a('web1', 'apply of abc1234', async () => {
      await work.closed;
      order.push('a');
    });
    await waitFor(() => locks.inspect(runLockKey('web1')), { what: 'a to hold the run lock' });
    const second = b('web1', 'noop of def5678', async () => void order.push('b'));
    await waitFor(() => bLog.text().includes('waiting for another bot’s run on the node'), {
      what: 'b to wait',
    });
    expect(order).toEqual([]);
    work.open();
    await Promise.all([first, second]);
    expect(order).toEqual(['a', 'b']);
  });

  it('gives up after waitMs, naming the apply that holds the node', async () => {
    const locks = await open();
    await locks.acquire('node:web1', {
      owner: 'heckler:apply#7',
      reason: 'apply v2 by <@U1>',
      ttlMs: 60_000,
    });
    await locks.acquire(runLockKey('web1'), {
      owner: 'heckler:bot-a',
      reason: 'apply of abc1234',
      ttlMs: 60_000,
    });
    await locks.acquire(runLockKey('db1'), {
      owner: 'heckler:bot-a',
      reason: 'noop of abc1234',
      ttlMs: 60_000,
    });
    const b = createRunLock({ locks, owner: 'heckler:bot-b', waitMs: 0 }, captureLogger().logger);
    let ran = false;
    const markRan = async () => {
      ran = true;
    };
    expect(await b('web1', 'noop of def5678', markRan)).toEqual({
      ok: false,
      busy: 'apply #7',
    });
    expect(await b('db1', 'noop of def5678', markRan)).toEqual({
      ok: false,
      busy: 'noop of abc1234',
    });
    expect(ran).toBe(false);
  });

  it('fails closed when the lock store cannot be reached: the work does not run', async () => {
    const locks = await open();
    const down: Locks = {
      ...locks,
      acquire: async () => {
        throw new HecklerError('STORE_UNAVAILABLE', 'Redis failed', { hint: 'check Redis' });
      },
    };
    let ran = false;
    const markRan = async () => {
      ran = true;
    };
    const withRunLock = createRunLock({ locks: down }, captureLogger().logger);
    await expect(withRunLock('web1', 'noop', markRan)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    expect(ran).toBe(false);
  });
});
