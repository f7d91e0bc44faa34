import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApp, type HecklerApp } from '../../src/compose/app.js';
import type { ComposedFleet } from '../../src/compose/fleet.js';
import type { Config } from '../../src/config/schema.js';
import type { Message } from '../../src/engine/ports/index.js';
import { reviewStatus } from '../../src/engine/review/records.js';
import { createStorage, type Storage } from '../../src/storage/keyv.js';
import { applyChat } from '../engine/apply/chat-view.js';
import { createLocalFleet, type LocalFleet } from '../engine/apply/local-fleet.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { testConfig } from '../support/config.js';
import { captureLogger } from '../support/logger.js';
import { waitFor } from '../support/process.js';
import { type RedisServer, startRedis } from '../support/redis.js';

/**
 * Stopping applies: a cancel between nodes, a shutdown within and beyond its grace, and a lock
 * store that cannot be reached. Four nodes on the local transport with a stand-in puppet that a
 * test can hold on one node (test/engine/apply/local-fleet.ts).
 */
const CHANNEL = 'CAPPLY';
let local: LocalFleet;
let config: Config;
let embedded: Storage;
const opened: HecklerApp[] = [];

/** A bot over `storage` (the embedded store unless a test swaps its locks), which stays open after it. */
const startBot = async (storage: Storage) => {
  local.reset();
  const chat = new RecordingChat();
  const { logger } = captureLogger();
  const app = await composeApp(config, { chat, storage, logger, scheduler: false, version: 'test' });
  if (!app.fleet) throw new Error('no fleet');
  opened.push(app);
  const { fleet: composed, dispatcher } = app;
  const ask = async (user: string, line: string) => {
    const answers: Message[] = [];
    await dispatcher.dispatch({
      text: line,
      user,
      channel: CHANNEL,
      respond: async (m) => void answers.push(m),
    });
    return answers.map((m) => m.text).join('\n');
  };
  /** The stand-in changes nothing a noop can tell apart: every commit's delta is empty, so auto-approved. */
  const review = async (sha: string) => {
    const record = await composed.reviews.review(sha);
    expect(reviewStatus(record)).toBe('auto_approved');
  };
  return { chat, composed, ask, review, view: () => applyChat(chat.events, CHANNEL) };
};

/** Stand-in Puppet processes still running on this machine (the `[p]` keeps pgrep's own command line out). */
const standIns = () =>
  spawnSync('pgrep', ['-a', '-f', `${local.dir}/bin/[p]uppet`], { encoding: 'utf8' }).stdout.trim();

const appliedRevision = async (composed: ComposedFleet, node: string) => {
  const [spec] = await composed.service.select({ nodes: [node] });
  if (!spec) throw new Error(`no ${node}`);
  const [read] = await composed.service.applied([spec]);
  return read?.ok && read.value.ok ? read.value.state?.revision : undefined;
};

beforeAll(async () => {
  local = await createLocalFleet({
    nodes: 4,
    sets: { canaries: { nodes: ['n01'] } },
    applyOrder: ['canaries', 'all'],
  });
  config = testConfig({
    ...local.config,
    users: { U0ADMIN: 'ada', U0APPLIER: 'abe', U0BOB: 'bob', U0NOBODY: 'nob' },
    roles: { admins: ['U0ADMIN'], appliers: ['U0APPLIER', 'U0BOB'] },
    storage: { dataDir: join(local.dir, 'data') },
    apply: { channel: CHANNEL, concurrency: 1, lockTtl: '3s', shutdownGrace: '2s' },
  });
  embedded = await createStorage({ dataDir: join(local.dir, 'data'), keyPrefix: 'control' });
  const bot = await startBot(embedded);
  const runs = await bot.composed.service.runSha(
    local.repo.commits.motdChange,
    bot.composed.service.nodes(),
    'apply',
    'U0ADMIN',
  );
  if (runs.some((run) => !run.reached))
    throw new Error(`could not apply v1: ${JSON.stringify(runs.find((r) => !r.reached))}`);
}, 120_000);

afterAll(async () => {
  for (const app of opened) await app.stop({ graceMs: 500 });
  await embedded?.close();
  local?.remove();
});

describe('cancel', () => {
  it('stops a running apply between nodes: the node applying finishes, the rest are not run', async () => {
    const bot = await startBot(embedded);
    await bot.review(local.repo.commits.hotfix);
    await bot.ask('U0APPLIER', 'apply v1.1');
    const id = bot.view().lastPlan();
    local.hold('n01');
    expect(await bot.ask('U0APPLIER', `confirm ${id}`)).toMatch(/confirmed: applying v1.1 to 4 nodes/);
    await waitFor(() => local.started('n01'), { what: 'n01 to start' });
    expect(await bot.ask('U0NOBODY', `cancel ${id}`)).toMatch(/needs the applier role/);
    expect(await bot.ask('U0BOB', `cancel ${id}`)).toMatch(
      /only <@U0APPLIER>, who asked for apply #\d+, or an admin may cancel it/,
    );
    expect(await bot.ask('U0APPLIER', `cancel ${id}`)).toBe(
      `stopping apply #${id} after the nodes applying now (n01)`,
    );
    local.release('n01');
    await bot.composed.applies.idle();

    const record = await bot.composed.applies.get(id);
    expect(record).toMatchObject({ status: 'cancelled', cancelledBy: 'U0APPLIER' });
    expect(record?.stages.map((s) => [s.name, s.status, s.nodes.map((n) => n.status).join()])).toEqual([
      ['canaries', 'done', 'ok'],
      ['all', 'not_run', 'not_run,not_run,not_run'],
    ]);
    expect(await appliedRevision(bot.composed, 'n01')).toBe(local.repo.commits.hotfix);
    expect(await appliedRevision(bot.composed, 'n02')).toBe(local.repo.commits.motdChange);
    expect(local.started('n02')).toBe(false);
    expect(bot.view().message(id)).toContain(`apply v1.1 #${id} — canaries 1/1 ✓, all not run`);
    expect(bot.view().thread(id).at(-1)).toMatch(
      /^:white_check_mark: \*canaries\* done: canaries 1\/1 ✓ in \S+$/,
    );
    expect(bot.view().summary(id)).toMatch(
      new RegExp(`^:no_entry_sign: apply v1.1 #${id} cancelled: 1 of 4 nodes applied, 3 not run`),
    );
    expect(await embedded.locks.list()).toEqual([]);
    expect(await bot.ask('U0APPLIER', `cancel ${id}`)).toBe(`apply #${id} is already over: cancelled`);
  }, 60_000);
});

describe('shutdown', () => {
  it('within the grace period: the node applying finishes, no other starts, the locks are released', async () => {
    const bot = await startBot(embedded);
    await bot.review(local.repo.commits.hotfix);
    await bot.ask('U0APPLIER', 'apply v1.1');
    const id = bot.view().lastPlan();
    local.sleep(1, 'n02');
    await bot.ask('U0APPLIER', `confirm ${id}`);
    await waitFor(() => local.started('n02'), { what: 'n02 to start' });
    await bot.composed.applies.shutdown(10_000);
    local.sleep(undefined, 'n02');

    const record = await bot.composed.applies.get(id);
    expect(record).toMatchObject({
      status: 'cancelled',
      cancelledBy: 'shutdown',
      note: 'stopped between nodes: the bot was shut down',
    });
    expect(record?.stages.flatMap((s) => s.nodes.map((n) => `${n.node}:${n.status}`))).toEqual([
      'n02:ok',
      'n03:not_run',
      'n04:not_run',
    ]);
    expect(bot.view().message(id)).toContain('stopped between nodes: the bot was shut down');
    expect(await embedded.locks.list()).toEqual([]);
    expect(await bot.ask('U0APPLIER', 'apply v1.1')).toMatch(/planning/);
    expect(await bot.ask('U0APPLIER', `confirm ${bot.view().lastPlan()}`)).toMatch(
      /the bot is shutting down and starts no apply/,
    );
  }, 60_000);

  it('beyond the grace period: Puppet is killed, the apply is interrupted and says so, the locks are released', async () => {
    const bot = await startBot(embedded);
    await bot.review(local.repo.commits.hotfix);
    await bot.ask('U0APPLIER', 'apply v1.1');
    const id = bot.view().lastPlan();
    local.hold('n03');
    await bot.ask('U0APPLIER', `confirm ${id}`);
    await waitFor(() => local.started('n03'), { what: 'n03 to start' });
    expect(standIns()).not.toBe('');
    await bot.composed.applies.shutdown(1_000);

    // Killed, not left to run on unwatched (the SSH side: apply-shutdown-kill.test.ts).
    expect(standIns()).toBe('');
    expect(local.finished('n03')).toBe(false);
    const record = await bot.composed.applies.get(id);
    expect(record?.status).toBe('interrupted');
    expect(record?.stages.flatMap((s) => s.nodes.map((n) => `${n.node}:${n.status}`))).toEqual([
      'n03:interrupted',
      'n04:not_run',
    ]);
    expect(record?.stages.flatMap((s) => s.nodes.map((n) => n.error))).toEqual([
      'killed at shutdown after the 1s grace: it may be part-way',
      'the bot is shutting down',
    ]);
    expect(bot.view().message(id)).toMatch(
      /the bot shut down while n03 was being applied: Puppet there was killed after the 1s grace, so it may be part-way/,
    );
    expect(bot.view().thread(id).at(-1)).toMatch(/^:warning: Interrupted: the bot shut down while n03/);
    expect(bot.view().summary(id)).toMatch(/^:warning: apply v1.1 #\d+ interrupted/);
    expect(await embedded.locks.list()).toEqual([]);
    // It recorded nothing: n03 still says what it had before.
    local.release('n03');
    expect(await appliedRevision(bot.composed, 'n03')).toBe(local.repo.commits.motdChange);
  }, 60_000);
});

describe('a lock store that cannot be reached', () => {
  let redis: RedisServer;
  afterAll(async () => redis?.stop());

  it('fails closed: nothing is applied, the user is told why, and the plan can be confirmed once it is back', async () => {
    redis = await startRedis();
    const locks = await createStorage({
      redisUrl: redis.url,
      keyPrefix: 'control-locks',
      dataDir: local.dir,
    });
    // Records in the embedded store, node locks in a Redis we can stop.
    const bot = await startBot({
      kind: 'embedded',
      store: <T>(namespace: string) => embedded.store<T>(namespace),
      locks: locks.locks,
      close: async () => {},
    });
    await bot.review(local.repo.commits.hotfix);
    await bot.ask('U0APPLIER', 'apply v1.1 --nodes n04');
    const id = bot.view().lastPlan();
    await redis.stop();
    const answer = await bot.ask('U0APPLIER', `confirm ${id}`);
    expect(answer).toMatch(
      /^could not lock the nodes, so nothing was applied: Redis at redis:\/\/127\.0\.0\.1:\d+\/? failed/,
    );
    expect(answer).toMatch(new RegExp(`Check that Redis is running .*; then confirm plan #${id} again`));
    expect(local.started('n04')).toBe(false);
    expect((await bot.composed.applies.get(id))?.status).toBe('planned');

    await redis.restart();
    await expect
      .poll(
        () =>
          locks.locks.list().then(
            () => true,
            () => false,
          ),
        { timeout: 10_000 },
      )
      .toBe(true);
    expect(await bot.ask('U0APPLIER', `confirm ${id}`)).toMatch(/confirmed/);
    await bot.composed.applies.idle();
    expect(await appliedRevision(bot.composed, 'n04')).toBe(local.repo.commits.hotfix);
    await locks.close();
  }, 60_000);
});
