import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeFleet } from '../../../src/compose/fleet.js';
import { HecklerError, isHecklerError } from '../../../src/engine/errors.js';
import type { CodeRepo } from '../../../src/engine/ports/index.js';
import { systemClock } from '../../../src/engine/ports/index.js';
import { unlessUnrelated } from '../../../src/engine/review/lineage.js';
import { createNoopCache } from '../../../src/engine/review/noop-cache.js';
import type { AuditEntry, ReviewRecord } from '../../../src/engine/review/records.js';
import { reviewStatus } from '../../../src/engine/review/records.js';
import { createReviewService, type ReviewService } from '../../../src/engine/review/service.js';
import { createStorage, type Storage } from '../../../src/storage/keyv.js';
import { RecordingChat } from '../../fakes/recording-chat.js';
import { testConfig } from '../../support/config.js';
import { captureLogger } from '../../support/logger.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../../support/puppet-repo.js';

/**
 * Review integrity, scenario 6: a transient git failure is not "unrelated history". Before, any
 * error from `isAncestor` read as "not in lineage", which changed the delta hash and voided
 * approvals. Now only an unknown revision means unrelated; any other failure fails the review run
 * with a clear message and the stored review, its decisions and its message stay as they were.
 */
let storage: Storage;
let repo: PuppetRepoFixture;
let composed: NonNullable<Awaited<ReturnType<typeof composeFleet>>>;
let reviews: ReviewService;
let failing: Error | undefined;
const chat = new RecordingChat();

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-lineage-'));
  repo = await createPuppetRepo(join(dir, 'repo'));
  const config = testConfig({
    repo: { url: repo.path, branch: 'main', mirrorDir: join(dir, 'mirror') },
    fleet: {
      transport: 'local',
      nodes: { node1: { workDir: join(dir, 'node1') }, node2: { workDir: join(dir, 'node2') } },
    },
  });
  storage = await createStorage({ dataDir: join(dir, 'data'), keyPrefix: 'test' });
  const { logger } = captureLogger();
  const made = await composeFleet({ config, storage, logger, clock: systemClock, chat });
  if (!made) throw new Error('no fleet');
  composed = made;
  const mirror = made.repo;
  // The real mirror, with git failing the way a full disk or a killed git does, on demand.
  const flaky: CodeRepo = {
    ...mirror,
    isAncestor: (a, b) => (failing ? Promise.reject(failing) : mirror.isAncestor(a, b)),
  };
  reviews = createReviewService({
    repo: flaky,
    fleet: made.service,
    cache: createNoopCache({ fleet: made.service, store: storage.store('noops'), ttlMs: 60_000 }),
    chat,
    channel: 'CREVIEW',
    reviews: storage.store<ReviewRecord>('reviews'),
    cursor: storage.store<string>('review-cursor'),
    audit: storage.store<AuditEntry>('audit'),
    clock: systemClock,
    logger,
    approvals: { owners: {}, people: {}, ignore: [] },
    roles: { admins: ['U0ADMIN'], approvers: [] },
    modulePaths: ['modules'],
    present: (record) => ({ text: `${record.shortSha} ${record.deltaHash}`, blocks: [] }),
    pushes: { reviewsPerPoll: 20, summarizeOver: 10 },
    presentPush: (push) => ({ text: `${push.reviewed}/${push.total}`, blocks: [] }),
  });
}, 60_000);

afterAll(async () => {
  await composed?.close();
  await storage?.close();
});

/** Both nodes "run" a commit git no longer has (applied from a branch since force-pushed away). */
const gone = '0123456789abcdef0123456789abcdef01234567';
const state = (fleetHash: string) => ({
  applied: new Map([
    ['node1', { revision: gone, dirty: false }],
    ['node2', { revision: gone, dirty: false }],
  ]),
  fleetHash,
});

describe('a review whose lineage git cannot tell', () => {
  it('an unknown applied revision is unrelated history: the nodes are not in lineage', async () => {
    failing = undefined;
    const sha = repo.commits.coauthored;
    const record = await reviews.review(sha, { nodes: composed.service.nodes(), state: state('fleet-1') });
    expect(record.grouped.notInLineage).toEqual(['node1', 'node2']);
    // Nothing was nooped, so nothing is approved automatically; an admin denies it (a decision to keep).
    expect(reviewStatus(record)).toBe('pending');
    await reviews.decide({
      sha,
      user: 'U0ADMIN',
      roles: new Set(['admin']),
      verdict: 'deny',
      reason: 'not on our branch',
      via: 'command',
    });
    expect(reviewStatus((await reviews.get(sha)) as ReviewRecord)).toBe('denied');
  });

  it('a git failure fails the run with a message saying so, and the review and its decision stay', async () => {
    const sha = repo.commits.coauthored;
    const before = await reviews.get(sha);
    const posts = chat.events.length;
    failing = new Error('fatal: unable to read tree 1a2b3c: Input/output error');
    const outcome = await reviews
      .review(sha, { nodes: composed.service.nodes(), state: state('fleet-2') })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isHecklerError(outcome, 'REPO_UNAVAILABLE')).toBe(true);
    expect((outcome as Error).message).toMatch(
      /could not tell how [0-9a-f]{7} relates to what node1 runs \(0123456\): fatal: unable to read tree 1a2b3c: Input\/output error/,
    );
    expect((outcome as { hint?: string }).hint).toMatch(/the review and its decisions stay as they were/);
    const after = await reviews.get(sha);
    expect(after).toEqual(before);
    expect(after && reviewStatus(after)).toBe('denied');
    expect(chat.events.length).toBe(posts);
  });

  it('the rule itself: only UNKNOWN_REVISION means unrelated', async () => {
    const unknown = new HecklerError('UNKNOWN_REVISION', "unknown revision '0123456'");
    expect(await unlessUnrelated(Promise.reject(unknown))).toBe(false);
    expect(await unlessUnrelated(Promise.resolve(true))).toBe(true);
    await expect(unlessUnrelated(Promise.reject(new Error('git killed')))).rejects.toThrow('git killed');
    failing = undefined;
  });
});
