import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { message } from '../../../src/engine/ports/index.js';
import type { AuditEntry, ReviewRecord } from '../../../src/engine/review/records.js';
import { createReviewService, type ReviewServiceDeps } from '../../../src/engine/review/service.js';
import { createStorage, type Storage } from '../../../src/storage/keyv.js';
import { RecordingChat } from '../../fakes/recording-chat.js';
import { captureLogger } from '../../support/logger.js';

/**
 * Two bots on one Redis, each with its own ReviewService and its own Redis client: the same
 * decision clicked on both at once must be recorded once. Nothing in one process orders them;
 * only the store's compare-and-set does.
 */
const redisUrl = inject('redisUrl');
const opened: Storage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});

const SHA = 'a'.repeat(40);
const DELTA = 'd'.repeat(64);
const pending: ReviewRecord = {
  sha: SHA,
  shortSha: SHA.slice(0, 7),
  subject: 'Raise the web pool',
  committedAt: 1_000,
  schema: 2,
  authors: ['U0ALICE'],
  unmappedAuthors: [],
  fleetHash: 'f1',
  deltaHash: DELTA,
  computedAt: 1_000,
  grouped: {
    groups: [],
    evalErrorGroups: [],
    parentErrorGroups: [],
    failures: [],
    notInLineage: [],
    counts: { changed: 1, unchanged: 0, failed: 0, unreachable: 0, notInLineage: 0, evalError: 0 },
    deltaHash: DELTA,
  },
  groupOwners: [{ owners: ['U0OWNER'], unmapped: [], source: 'module' }],
  evalOwners: [],
  decisions: [],
  notes: [],
};

/** A replica's review service: only what deciding touches is real (store, audit, chat). */
const replica = (storage: Storage) =>
  createReviewService({
    repo: {} as ReviewServiceDeps['repo'],
    fleet: {} as ReviewServiceDeps['fleet'],
    cache: {} as ReviewServiceDeps['cache'],
    chat: new RecordingChat(),
    channel: 'CREVIEW',
    reviews: storage.store<ReviewRecord>('reviews'),
    cursor: storage.store<string>('cursor'),
    audit: storage.store<AuditEntry>('audit'),
    clock: { now: () => 2_000 },
    logger: captureLogger().logger,
    approvals: { owners: {}, people: {}, ignore: [] },
    roles: { admins: [], approvers: ['U0BOB', 'U0CAROL', 'U0DAVE', 'U0ERIN'] },
    modulePaths: ['modules'],
    present: (record) => message(`review of ${record.shortSha}`),
    pushes: { reviewsPerPoll: 10, summarizeOver: 10 },
    presentPush: () => message('push'),
  });

const twoReplicas = async () => {
  const keyPrefix = `t${randomUUID().slice(0, 8)}`;
  const storages = await Promise.all(
    [0, 1].map(() => createStorage({ redisUrl, keyPrefix, dataDir: join(tmpdir(), 'heckler-unused') })),
  );
  opened.push(...storages);
  const [one, two] = storages as [Storage, Storage];
  await one.store<ReviewRecord>('reviews').set(SHA, pending);
  return { one: replica(one), two: replica(two), storage: one };
};

const approver = new Set(['approver']);

describe('review decisions on two replicas sharing Redis', () => {
  it('records one of the decisions clicked on both at once; the others are told who decided', async () => {
    const { one, two, storage } = await twoReplicas();
    const deciders = ['U0BOB', 'U0CAROL', 'U0DAVE', 'U0ERIN'];
    const settled = await Promise.allSettled(
      deciders.flatMap((user, i) =>
        [one, two].map((service) =>
          service.decide({
            sha: SHA,
            user,
            roles: approver,
            verdict: i % 2 === 0 ? 'approve' : 'deny',
            reason: 'racing',
            via: 'button',
          }),
        ),
      ),
    );
    const recorded = settled.filter((s) => s.status === 'fulfilled' && s.value.result === 'recorded');
    expect(recorded).toHaveLength(1);
    const stored = await storage.store<ReviewRecord>('reviews').get(SHA);
    expect(stored?.decisions).toHaveLength(1);
    const winner = stored?.decisions[0]?.user;
    // The winner's own click on the other replica is a repeat; everyone else is refused, naming the winner.
    for (const [index, outcome] of settled.entries()) {
      const user = deciders[Math.floor(index / 2)];
      if (user === winner) {
        expect(outcome.status).toBe('fulfilled');
        continue;
      }
      expect(outcome).toMatchObject({
        status: 'rejected',
        reason: { code: 'USAGE', message: expect.stringContaining(`by <@${winner}>`) },
      });
    }
    const audit: AuditEntry[] = [];
    for await (const [, entry] of storage.store<AuditEntry>('audit').entries()) audit.push(entry);
    expect(audit.map((entry) => entry.user)).toEqual([winner]);
  });

  it('a refused decision (an author, an outdated delta, an unknown commit) writes nothing', async () => {
    const { one, two, storage } = await twoReplicas();
    await expect(
      one.decide({ sha: SHA, user: 'U0ALICE', roles: approver, verdict: 'approve', via: 'button' }),
    ).rejects.toMatchObject({ code: 'NOT_AUTHORIZED' });
    await expect(
      two.decide({
        sha: SHA,
        user: 'U0BOB',
        roles: approver,
        verdict: 'approve',
        via: 'button',
        shownHash: 'beef',
      }),
    ).rejects.toMatchObject({ code: 'OUTDATED' });
    await expect(
      two.decide({ sha: 'b'.repeat(40), user: 'U0BOB', roles: approver, verdict: 'approve', via: 'button' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await storage.store<ReviewRecord>('reviews').get(SHA)).toEqual(pending);
    expect(await storage.store<ReviewRecord>('reviews').get('b'.repeat(40))).toBeUndefined();
  });
});
