import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApp, type HecklerApp } from '../../src/compose/app.js';
import type { Scheduler } from '../../src/engine/ports/scheduler.js';
import type { PingRecord } from '../../src/engine/review/owner-pings.js';
import type { ReviewRecord } from '../../src/engine/review/records.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { createPuppetRepo } from '../support/puppet-repo.js';
import { record } from './owner-pings-fixture.js';

/**
 * The bot schedules owner reminders and dashboard refreshes on the scheduler it shares with the
 * polls (the one behind the leader lease in production): the test holds the jobs and runs them.
 */
const jobs = new Map<string, () => Promise<void>>();
const scheduler: Scheduler = {
  every: async (name, _ms, task) => void jobs.set(name, task),
  cron: async (name, _when, task) => void jobs.set(name, task),
  stop: async () => undefined,
};
const NOW = Date.parse('2026-12-02T14:00:00Z');
let app: HecklerApp;
let chat: RecordingChat;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'heckler-remind-'));
  const repo = await createPuppetRepo(join(dir, 'repo'));
  chat = new RecordingChat();
  app = await composeApp(
    testConfig({
      repo: { url: repo.path, branch: 'main', mirrorDir: join(dir, 'mirror') },
      storage: { dataDir: join(dir, 'data'), keyPrefix: 'remind' },
      approvals: { remindHours: '9-17', timezone: 'Europe/Berlin' },
    }),
    { chat, scheduler, clock: { now: () => NOW }, logger: captureLogger().logger, version: 'test' },
  );
}, 120_000);

afterAll(async () => {
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('scheduled owner reminders', () => {
  it('are registered with the dashboard refresh on the shared scheduler', () => {
    expect([...jobs.keys()]).toEqual(
      expect.arrayContaining(['owner-reminders', 'home-refresh', 'puppet-commits']),
    );
  });

  it('a tick reminds the owners of a review pinged 5 h ago, once', async () => {
    const waiting = record();
    await app.storage.store<ReviewRecord>('reviews').set(waiting.sha, waiting);
    await app.storage
      .store<PingRecord>('owner-pings')
      .set(waiting.sha, { sha: waiting.sha, pingedAt: NOW - 5 * 3_600_000, users: { U0BOB: 0 }, groups: {} });
    const tick = jobs.get('owner-reminders');
    await tick?.();
    await tick?.();
    const reminders = chat.events.filter(
      (e) => e.kind === 'direct' && e.message.text.startsWith(':alarm_clock:'),
    );
    expect(reminders.map((e) => e.kind === 'direct' && e.user).sort()).toEqual([
      'U0ALICE',
      'U0BOB',
      'U0ERIN',
    ]);
    expect((await app.storage.store<PingRecord>('owner-pings').get(waiting.sha))?.remindedOn).toBe(
      '2026-12-02',
    );
  });
});
