import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownerGroupsMessage, ownerPingMessage } from '../../src/commands/views/owner-ping.js';
import { createOwnerPings, type PingRecord } from '../../src/engine/review/owner-pings.js';
import type { ReviewRecord } from '../../src/engine/review/records.js';
import { createStorage, type Storage } from '../../src/storage/keyv.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { captureLogger } from '../support/logger.js';
import { type RedisServer, startRedis } from '../support/redis.js';
import { record } from './owner-pings-fixture.js';

/**
 * Two replicas sharing a real Redis, each showing the same waiting review many times at once (a
 * re-noop here, a decision there, a restart): each owner is pinged once between them, the user
 * group mentioned once, and the day's reminder goes out once.
 */
let redis: RedisServer;
const opened: Storage[] = [];

beforeAll(async () => {
  redis = await startRedis();
}, 60_000);

afterAll(async () => {
  for (const storage of opened) await storage.close();
  await redis?.stop();
});

const UTC_0930 = Date.parse('2026-12-02T09:30:00Z');

const replicas = async () => {
  const keyPrefix = `pings${randomUUID().slice(0, 8)}`;
  const clock = { at: UTC_0930, now: () => clock.at };
  const review = record();
  const made = await Promise.all(
    [0, 1].map(async () => {
      const storage = await createStorage({
        redisUrl: redis.url,
        keyPrefix,
        dataDir: join(tmpdir(), 'heckler-unused'),
      });
      opened.push(storage);
      const chat = new RecordingChat();
      const pings = createOwnerPings({
        chat,
        store: storage.store<PingRecord>('owner-pings'),
        clock,
        logger: captureLogger().logger,
        views: { owner: ownerPingMessage(), groups: ownerGroupsMessage },
        pending: async (): Promise<ReviewRecord[]> => [review],
        reminders: { afterMs: 4 * 3_600_000, hours: { from: 9, to: 17 }, timeZone: 'UTC' },
      });
      return { chat, pings };
    }),
  );
  const events = () => made.flatMap((replica) => replica.chat.events);
  return { made, clock, review, events };
};

describe('owner pings on two replicas sharing Redis', () => {
  it('ten showings on each at once ping each owner once and mention the group once', async () => {
    const { made, review, events } = await replicas();
    await Promise.all(made.flatMap(({ pings }) => Array.from({ length: 10 }, () => pings.onReview(review))));
    const dms = events().filter((e) => e.kind === 'direct');
    expect(dms.map((e) => e.kind === 'direct' && e.user).sort()).toEqual(['U0ALICE', 'U0BOB', 'U0ERIN']);
    expect(events().filter((e) => e.kind === 'reply')).toHaveLength(1);
  });

  it("the day's reminder goes out once, however many ticks race for it", async () => {
    const { made, review, clock, events } = await replicas();
    await made[0]?.pings.onReview(review);
    clock.at += 4 * 3_600_000;
    const counts = await Promise.all(
      made.flatMap(({ pings }) => [pings.remind(), pings.remind(), pings.remind()]),
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    const reminders = events().filter(
      (e) => e.kind === 'direct' && e.message.text.startsWith(':alarm_clock:'),
    );
    expect(reminders).toHaveLength(3);
  });
});
