import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createBreeScheduler } from '../../src/adapters/schedule/bree.js';
import { createLeaderScheduler } from '../../src/adapters/schedule/leader.js';
import type { Scheduler } from '../../src/engine/ports/scheduler.js';
import { createStorage, type Storage } from '../../src/storage/keyv.js';
import { captureLogger } from '../support/logger.js';
import { waitFor } from '../support/process.js';

/**
 * Cron schedules through real bree workers: a seconds cron ticks in the main thread, the leader
 * gate holds cron ticks as it holds interval ones, and a bad expression or zone never reaches bree.
 * The waits are on ticks counted (a deadline only bounds a failure), never on a guessed duration.
 */
const opened: (Scheduler | Storage)[] = [];

afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await ('close' in thing ? thing.close() : thing.stop());
});

describe('cron schedules', { timeout: 60_000 }, () => {
  it('tick on the cron in the main thread, in the time zone given', async () => {
    const scheduler = createBreeScheduler({ logger: captureLogger().logger });
    opened.push(scheduler);
    const ticks: { main: boolean; at: number }[] = [];
    await scheduler.cron(
      'every-second',
      { expression: '* * * * * *', timezone: 'Europe/Berlin' },
      async () => {
        ticks.push({ main: isMainThread, at: Date.now() });
      },
    );
    await waitFor(() => ticks.length >= 2, { timeoutMs: 20_000, what: 'two cron ticks' });
    expect(ticks.every((tick) => tick.main)).toBe(true);
  });

  it('refuse a bad expression, a bad zone, and a second schedule of one name', async () => {
    const scheduler = createBreeScheduler({ logger: captureLogger().logger });
    opened.push(scheduler);
    const noop = async () => undefined;
    await expect(scheduler.cron('bad', { expression: '61 * * * *', timezone: 'UTC' }, noop)).rejects.toThrow(
      /schedule 'bad'.*minutes/,
    );
    await expect(
      scheduler.cron('zone', { expression: '0 9 * * *', timezone: 'Mars/Olympus' }, noop),
    ).rejects.toThrow(/unknown time zone 'Mars\/Olympus'/);
    await scheduler.cron('once', { expression: '0 9 * * *', timezone: 'UTC' }, noop);
    await expect(scheduler.cron('once', { expression: '0 9 * * *', timezone: 'UTC' }, noop)).rejects.toThrow(
      /'once' exists already/,
    );
  });

  it('run only on the leader: a follower logs its skipped cron ticks', async () => {
    // The embedded store: the lease is the same lock there, and this test needs no shared Redis.
    const storage = await createStorage({
      dataDir: mkdtempSync(join(tmpdir(), 'heckler-cron-')),
      keyPrefix: 'cron',
    });
    opened.push(storage);
    const log = captureLogger();
    // Someone else holds the lease for the whole test.
    const held = await storage.locks.acquire('leader:scheduler', {
      owner: 'other-bot',
      reason: 'test',
      ttlMs: 60_000,
    });
    expect(held.ok).toBe(true);
    const follower = createLeaderScheduler(createBreeScheduler({ logger: log.logger }), {
      locks: storage.locks,
      ttlMs: 60_000,
      clock: { now: () => Date.now() },
      logger: log.logger,
      owner: 'me',
    });
    opened.push(follower);
    let runs = 0;
    await follower.cron('digest', { expression: '* * * * * *', timezone: 'UTC' }, async () => {
      runs += 1;
    });
    await waitFor(() => (log.text().match(/"job":"digest".*not the scheduler leader/g) ?? []).length >= 2, {
      timeoutMs: 20_000,
      what: 'two skipped cron ticks',
    });
    expect(runs).toBe(0);
    if (held.ok) await held.lock.release();
  });
});
