import { createClient } from '@keyv/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLeaderScheduler, type LeaderScheduler } from '../../../src/adapters/schedule/leader.js';
import type { Scheduler } from '../../../src/engine/ports/scheduler.js';
import { createStorage, type Storage } from '../../../src/storage/keyv.js';
import { captureLogger } from '../../support/logger.js';
import { advanceTtls, type RedisServer, startRedis } from '../../support/redis.js';

/**
 * Two bots' schedulers on one real Redis. The inner scheduler is a hand-cranked one (the test
 * says when a tick comes) and the lease is stepped with `campaign()` under a test clock; Redis's
 * own expiry is moved forward with `advanceTtls`, so nothing here waits for time to pass. The
 * lease is long (a minute), so the real renewal timer never fires during a test.
 */
const TTL = 60_000;
let redis: RedisServer;
let admin: ReturnType<typeof createClient>;
let now = 1_000_000;
const clock = { now: () => now };
const opened: Storage[] = [];
const schedulers: LeaderScheduler[] = [];
let prefix = 0;

/** An inner scheduler the test ticks by hand. */
const cranked = () => {
  const tasks = new Map<string, () => Promise<void>>();
  const inner: Scheduler = {
    every: async (name, _intervalMs, task) => void tasks.set(name, task),
    cron: async (name, _schedule, task) => void tasks.set(name, task),
    stop: async () => undefined,
  };
  return { inner, tick: async (name: string) => tasks.get(name)?.() };
};

/** One bot: its own Redis connection, the shared key prefix, a scheduler with one counted job. */
const bot = async (keyPrefix: string, name: string) => {
  const storage = await createStorage({
    redisUrl: redis.url,
    dataDir: '/nonexistent',
    keyPrefix,
    commandTimeoutMs: 300,
  });
  opened.push(storage);
  const log = captureLogger();
  const { inner, tick } = cranked();
  const scheduler = createLeaderScheduler(inner, {
    locks: storage.locks,
    ttlMs: TTL,
    clock,
    logger: log.logger,
    owner: name,
  });
  schedulers.push(scheduler);
  let runs = 0;
  await scheduler.every('job', 1_000, async () => {
    runs += 1;
  });
  return { scheduler, log, runs: () => runs, tick: () => tick('job') };
};

beforeAll(async () => {
  redis = await startRedis();
  admin = createClient({ url: redis.url });
  await admin.connect();
}, 30_000);

afterEach(async () => {
  redis.resume();
  await Promise.all(schedulers.splice(0).map((s) => s.stop()));
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await admin?.close();
  await redis?.stop();
});

const twoBots = async () => {
  prefix += 1;
  const keyPrefix = `leader${prefix}`;
  const first = await bot(keyPrefix, 'first');
  const second = await bot(keyPrefix, 'second');
  return { keyPrefix, first, second };
};

describe('the leader scheduler on one Redis shared by two bots', () => {
  it('runs ticks on the bot that took the lease only', async () => {
    const { keyPrefix, first, second } = await twoBots();
    expect(first.scheduler.leading()).toBe(true);
    expect(second.scheduler.leading()).toBe(false);
    expect(await second.scheduler.campaign()).toBe(false);
    for (let i = 0; i < 3; i++) await Promise.all([first.tick(), second.tick()]);
    expect([first.runs(), second.runs()]).toEqual([3, 0]);
    expect(await admin.pTTL(`${keyPrefix}:lock:leader:scheduler`)).toBeGreaterThan(TTL - 5_000);
    expect(first.log.text()).toContain('became the scheduler leader');
    expect(second.log.text()).not.toContain('became the scheduler leader');
  });

  it('a leader that stops releases the lease: the other takes it on its next step', async () => {
    const { first, second } = await twoBots();
    await first.scheduler.stop();
    expect(first.log.text()).toContain('released the scheduler lease');
    expect(await second.scheduler.campaign()).toBe(true);
    await Promise.all([first.tick(), second.tick()]);
    expect([first.runs(), second.runs()]).toEqual([0, 1]);
  });

  it('a leader that dies without a word is replaced once its lease has run out', async () => {
    const { keyPrefix, first, second } = await twoBots();
    // Renewed halfway: still the leader's, and the follower cannot take it.
    now += TTL / 2;
    expect(await first.scheduler.campaign()).toBe(true);
    now += TTL / 2;
    await advanceTtls(admin, keyPrefix, TTL / 2);
    expect(await second.scheduler.campaign()).toBe(false);
    // The leader goes quiet (it would be dead): a whole lease later it is the follower's.
    now += TTL;
    await advanceTtls(admin, keyPrefix, TTL);
    expect(await second.scheduler.campaign()).toBe(true);
    await Promise.all([first.tick(), second.tick()]);
    expect([first.runs(), second.runs()]).toEqual([0, 1]);
    // Were it only frozen, it learns it lost the lease and keeps away.
    expect(await first.scheduler.campaign()).toBe(false);
    expect(first.log.text()).toContain('lost the scheduler lease');
    expect(first.scheduler.leading()).toBe(false);
  });

  it('a leader that cannot renew (Redis frozen) stops running jobs, and takes the lease again later', async () => {
    const { keyPrefix, first, second } = await twoBots();
    await first.tick();
    redis.pause();
    // The renewal hangs until the command timeout; it fails closed.
    expect(await first.scheduler.campaign()).toBe(false);
    expect(first.scheduler.leading()).toBe(false);
    await first.tick();
    expect(first.runs()).toBe(1);
    expect(first.log.lines.filter((line) => line.includes('lost the scheduler lease'))).toHaveLength(1);
    expect(first.log.text()).toContain('could not be reached to renew');
    redis.resume();
    // Redis still holds the old lease until it expires; then one of the two gets it, not both.
    now += TTL;
    await advanceTtls(admin, keyPrefix, TTL);
    const taken = [await first.scheduler.campaign(), await second.scheduler.campaign()];
    expect(taken.filter(Boolean)).toHaveLength(1);
    await Promise.all([first.tick(), second.tick()]);
    expect(first.runs() + second.runs()).toBe(2);
  });

  it('a renewal that hangs past the lease stops ticks before it returns', async () => {
    const { first } = await twoBots();
    redis.pause();
    const renewal = first.scheduler.campaign();
    now += TTL;
    // The renewal has not answered, but the lease may have expired in Redis: no job starts.
    expect(first.scheduler.leading()).toBe(false);
    await first.tick();
    expect(first.runs()).toBe(0);
    redis.resume();
    await renewal;
  });
});
