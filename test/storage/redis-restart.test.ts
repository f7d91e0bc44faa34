import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HecklerError } from '../../src/engine/errors.js';
import type { LockRequest } from '../../src/engine/ports/store.js';
import { createStorage, type Storage } from '../../src/storage/keyv.js';
import { type RedisServer, startRedis } from '../support/redis.js';

/**
 * A Redis with an append-only file (`--appendonly yes --appendfsync always`), restarted under a
 * bot that is in the middle of an apply and a review: the same Storage object must come back by
 * itself with every record, decision, lock and claim, and fail closed (quickly) while Redis is gone.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'heckler-redis-restart-'));
let server: RedisServer;
const opened: Storage[] = [];

beforeAll(async () => {
  server = await startRedis({ persistDir: join(dataDir, 'redis') });
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const open = async (keyPrefix: string) => {
  const storage = await createStorage({
    redisUrl: server.url,
    keyPrefix,
    dataDir: join(dataDir, 'unused'),
    commandTimeoutMs: 500,
  });
  opened.push(storage);
  return storage;
};

const applyLock: LockRequest = { owner: 'heckler:apply#1', reason: 'apply v2 by @abe', ttlMs: 120_000 };
const bob: LockRequest = { owner: 'bob', reason: 'maintenance', ttlMs: 60_000 };

/** The error an operation ends with, and how long it took to end. */
const outcome = async (operation: Promise<unknown>, deadlineMs = 5_000) => {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), deadlineMs);
  });
  const result = await Promise.race([
    operation.then(
      () => 'answered',
      (error: unknown) => error,
    ),
    hung,
  ]);
  clearTimeout(timer);
  return { result, ms: performance.now() - started };
};

const expectUnavailable = (result: unknown) => {
  expect(result).toBeInstanceOf(HecklerError);
  expect(result).toMatchObject({ code: 'STORE_UNAVAILABLE', hint: expect.stringContaining('REDIS_URL') });
};

/** Reconnection is the client's own: poll the condition, bounded, instead of sleeping. */
const backOnline = (storage: Storage) =>
  expect
    .poll(
      () =>
        storage.locks.inspect('probe').then(
          () => 'up',
          () => 'down',
        ),
      {
        timeout: 10_000,
        interval: 25,
      },
    )
    .toBe('up');

describe('a Redis restart under a working bot', () => {
  it('keeps records, approvals, locks and claims through SHUTDOWN and start, and the bot reconnects by itself', async () => {
    const storage = await open('midapply');
    const applies = storage.store<{ status: string; node?: string }>('applies');
    const approvals = storage.store<{ sha: string; by: string }>('approvals');
    const reviews = storage.store<{ sha: string; state: string }>('reviews');
    await reviews.set('abc123', { sha: 'abc123', state: 'pending' });
    const held = await storage.locks.acquire('node:n01', applyLock);
    if (!held.ok) throw new Error('not acquired');
    expect(await storage.locks.claimOnce('slack:delivery-7', 120_000)).toBe(true);
    // Mid-review and mid-apply: the last writes before Redis goes away.
    await approvals.set('abc123', { sha: 'abc123', by: 'U0BOB' });
    await reviews.set('abc123', { sha: 'abc123', state: 'approved' });
    await applies.set('1', { status: 'running', node: 'n01' });

    await server.halt('shutdown');
    // While it is gone every operation fails closed, at once: nothing waits for Redis to return.
    for (const operation of [
      applies.get('1'),
      approvals.set('def456', { sha: 'def456', by: 'U0BOB' }),
      storage.locks.acquire('node:n02', bob),
      held.lock.renew(120_000),
      storage.locks.claimOnce('slack:delivery-8', 60_000),
    ]) {
      const { result, ms } = await outcome(operation);
      expectUnavailable(result);
      expect(ms).toBeLessThan(1_000);
    }

    await server.start();
    await backOnline(storage);
    expect(await applies.get('1')).toEqual({ status: 'running', node: 'n01' });
    expect(await approvals.get('abc123')).toEqual({ sha: 'abc123', by: 'U0BOB' });
    expect(await reviews.get('abc123')).toEqual({ sha: 'abc123', state: 'approved' });
    expect(await approvals.get('def456')).toBeUndefined();
    // The lock still excludes others, from this bot and from a replica that connects afresh.
    expect(await storage.locks.acquire('node:n01', bob)).toMatchObject({
      ok: false,
      holder: { owner: applyLock.owner, reason: applyLock.reason },
    });
    const replica = await open('midapply');
    expect((await replica.locks.acquire('node:n01', bob)).ok).toBe(false);
    expect(await replica.locks.claimOnce('slack:delivery-7', 60_000)).toBe(false);
    // Its holder can still renew and release it.
    expect(await held.lock.renew(120_000)).toBe(true);
    expect(await held.lock.release()).toBe(true);
    expect((await replica.locks.acquire('node:n01', bob)).ok).toBe(true);
  });

  it('loses no acknowledged write when Redis is killed in the middle of a stream of writes', async () => {
    const storage = await open('burst');
    const applies = storage.store<{ n: number }>('applies');
    const acknowledged: number[] = [];
    const failed: unknown[] = [];
    let next = 0;
    let crashed = false;
    // Four writers, as an apply updating several nodes' records at once; they stop once 50 more
    // writes have been acknowledged after the crash (the client reconnected by itself).
    const writer = async () => {
      while ((!crashed || acknowledged.length < crashAt + 50) && failed.length < 5_000) {
        const n = next++;
        await applies.set(String(n), { n }).then(
          () => acknowledged.push(n),
          (error: unknown) => failed.push(error),
        );
        // A refused write fails without I/O: let the event loop run (the restart, the reconnect).
        await setImmediate();
      }
    };
    let crashAt = Number.POSITIVE_INFINITY;
    const writers = Array.from({ length: 4 }, writer);
    await expect.poll(() => acknowledged.length, { timeout: 10_000, interval: 5 }).toBeGreaterThan(100);
    crashAt = acknowledged.length;
    await server.restart('crash');
    crashed = true;
    await Promise.all(writers);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length, 'the client never reconnected').toBeLessThan(5_000);
    for (const error of failed) expectUnavailable(error);
    const kept = new Set<number>();
    for await (const [, value] of applies.entries()) kept.add(value.n);
    expect(acknowledged.filter((n) => !kept.has(n))).toEqual([]);
  });

  it('answers STORE_UNAVAILABLE within the command timeout when Redis stops answering, and recovers', async () => {
    const storage = await open('frozen');
    const things = storage.store<number>('things');
    await things.set('a', 1);
    const taken = await storage.locks.acquire('node:n01', applyLock);
    if (!taken.ok) throw new Error('not acquired');
    server.pause();
    try {
      for (const operation of [
        things.get('a'),
        storage.locks.acquire('node:n02', bob),
        taken.lock.renew(60_000),
      ]) {
        const { result, ms } = await outcome(operation);
        expect(result, 'the operation hung while Redis did not answer').not.toBe('hung');
        expectUnavailable(result);
        expect((result as HecklerError).message).toContain('no answer within 500 ms');
        expect(ms).toBeLessThan(2_000);
      }
    } finally {
      server.resume();
    }
    await backOnline(storage);
    expect(await things.get('a')).toBe(1);
    expect(await taken.lock.release()).toBe(true);
  });
});
