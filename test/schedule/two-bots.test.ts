import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, type Storage } from '../../src/storage/keyv.js';
import { createLocalFleet, type LocalFleet } from '../engine/apply/local-fleet.js';
import { waitFor } from '../support/process.js';
import { type RedisServer, startRedis } from '../support/redis.js';

/**
 * Issue 13, item 8: two real bot processes (`node --import tsx src/main.ts`, shell mode) share one
 * real Redis and the same settings, and poll the same Puppet repository every second. A commit is
 * reviewed by one of them only; when that one is SIGKILLed, the other takes the lease once it has
 * run out and reviews the next commit. A permadiff digest on a seconds cron is posted by the leader
 * only, once per tick, and by the survivor after the takeover. Each bot's chat is its own stdout,
 * its log its own file.
 */
const root = join(import.meta.dirname, '../..');
const LEASE_MS = 3_000;
let local: LocalFleet;
let redis: RedisServer;
let storage: Storage;
const children: ChildProcess[] = [];

interface Bot {
  name: string;
  child: ChildProcess;
  output(): string;
  /** This bot's log lines (JSON) with `msg`. */
  logged(msg: string): { time: number; job?: string }[];
}

const startBot = (name: string): Bot => {
  const dataDir = join(local.dir, `data-${name}`);
  const configPath = join(local.dir, `heckler-${name}.yml`);
  // The same settings for both; only where each keeps its own files differs.
  const repo = { ...(local.config.repo as Record<string, unknown>), mirrorDir: join(dataDir, 'mirror') };
  const file = {
    ...local.config,
    repo: { ...repo, fetchEvery: '1s' },
    chat: { channel: 'CREVIEW' },
    users: { U0ADMIN: 'ada' },
    roles: { admins: ['U0ADMIN'] },
    shell: { users: { [userInfo().username]: 'U0ADMIN' } },
    storage: { dataDir, keyPrefix: 'twobots' },
    schedule: { leaseTtl: `${LEASE_MS / 1_000}s` },
    // A digest every two seconds (six fields: seconds first), so "once" is seen many times over.
    permadiffs: { digest: { cron: '*/2 * * * * *', timezone: 'Europe/Berlin' } },
    log: { level: 'debug' },
  };
  writeFileSync(configPath, JSON.stringify(file, null, 2));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/main.ts'), '--config', configPath],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', REDIS_URL: redis.url },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const logFile = join(dataDir, 'heckler.log');
  return {
    name,
    child,
    output: () => out,
    logged: (msg) =>
      existsSync(logFile)
        ? readFileSync(logFile, 'utf8')
            .split('\n')
            .filter((line) => line.includes(`"msg":"${msg}"`))
            .map((line) => JSON.parse(line) as { time: number; job?: string })
        : [],
  };
};

const commit = (message: string, files: Record<string, string>): string => {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', local.repo.path, ...args], { encoding: 'utf8' }).trim();
  for (const [path, content] of Object.entries(files)) writeFileSync(join(local.repo.path, path), content);
  git('add', '--all');
  git(
    '-c',
    'user.name=Test',
    '-c',
    'user.email=test@example.com',
    'commit',
    '--quiet',
    '--no-verify',
    '-m',
    message,
  );
  return git('rev-parse', 'HEAD');
};

/** New messages (not edits, not thread replies) in a bot's chat that name the commit's short sha. */
const posts = (bot: Bot, sha: string) =>
  [...bot.output().matchAll(/#CREVIEW · m\d+\n([\s\S]*?)\n└/g)].filter((post) =>
    post[1]?.includes(sha.slice(0, 7)),
  ).length;

/** Permadiff digests a bot posted in its chat. */
const digests = (bot: Bot) =>
  [...bot.output().matchAll(/#CREVIEW · m\d+\n([\s\S]*?)\n└/g)].filter((post) =>
    post[1]?.includes('Permadiff digest'),
  ).length;

beforeAll(async () => {
  local = await createLocalFleet({ nodes: 2 });
  redis = await startRedis();
  storage = await createStorage({
    redisUrl: redis.url,
    dataDir: join(local.dir, 'unused'),
    keyPrefix: 'twobots',
  });
}, 60_000);

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await storage?.close();
  await redis?.stop();
  local?.remove();
});

describe('two bots on one Redis', { timeout: 180_000 }, () => {
  it('review a new commit once, and the survivor takes over the polling when the leader dies', async () => {
    const bots = [startBot('a'), startBot('b')];
    const leaders = () => bots.filter((bot) => bot.logged('became the scheduler leader').length > 0);
    await waitFor(() => leaders().length > 0, { timeoutMs: 60_000, what: 'a bot to lead' });
    const [leader] = leaders();
    const follower = bots.find((bot) => bot !== leader);
    if (!leader || !follower) throw new Error('no leader');
    // The first poll only notes where the branch is (no backfill); the commit must come after it.
    const cursor = storage.store<string>('review-cursor');
    await waitFor(async () => (await cursor.get('branch')) !== undefined, {
      timeoutMs: 60_000,
      what: 'the first poll',
    });
    // The follower is up and ticking too: its polls are skipped, not absent.
    await waitFor(() => follower.logged('not the scheduler leader; tick skipped').length > 0, {
      timeoutMs: 60_000,
      what: `the follower's first skipped tick:\n${follower.output()}`,
    });

    const first = commit('docs: first note', { 'README.md': 'first\n' });
    await waitFor(() => posts(leader, first) > 0, {
      timeoutMs: 60_000,
      what: `the review of ${first} from the leader:\n${leader.output()}`,
    });
    // Three more seconds of polls on both (events in the follower's log, not a sleep): still one review.
    const skipped = follower.logged('not the scheduler leader; tick skipped').length;
    await waitFor(() => follower.logged('not the scheduler leader; tick skipped').length >= skipped + 3, {
      timeoutMs: 30_000,
      what: 'three more follower ticks',
    });
    expect(posts(leader, first)).toBe(1);
    expect(posts(follower, first)).toBe(0);
    expect(leaders()).toEqual([leader]);
    // The digest cron ticks on both bots; only the leader posts it, each tick once.
    await waitFor(() => digests(leader) >= 2, {
      timeoutMs: 30_000,
      what: `two digests:\n${leader.output()}`,
    });
    await waitFor(
      () =>
        follower.logged('not the scheduler leader; tick skipped').some((l) => l.job === 'permadiff-digest'),
      {
        timeoutMs: 30_000,
        what: "the follower's skipped digest tick",
      },
    );
    expect(digests(follower)).toBe(0);
    const posted = leader.logged('permadiff digest posted').map((line) => line.time);
    expect(posted.length).toBeGreaterThanOrEqual(2);
    // One post per tick: ticks are two seconds apart, so two posts never come within a second.
    for (const [i, time] of posted.entries())
      if (i > 0) expect(time - (posted[i - 1] ?? 0)).toBeGreaterThan(1_000);

    leader.child.kill('SIGKILL');
    await once(leader.child, 'exit');
    const killedAt = Date.now();
    const second = commit('docs: second note', { 'README.md': 'second\n' });
    await waitFor(() => posts(follower, second) > 0, {
      timeoutMs: 60_000,
      what: `the review of ${second} from the survivor:\n${follower.output()}`,
    });
    // It took the lease within one lease (plus one renewal period, when it looks) of the death.
    const [took] = follower.logged('became the scheduler leader');
    expect(took).toBeDefined();
    expect((took?.time ?? Number.POSITIVE_INFINITY) - killedAt).toBeLessThanOrEqual(
      LEASE_MS + LEASE_MS / 3 + 500,
    );
    expect(posts(follower, second)).toBe(1);
    expect(posts(follower, first)).toBe(0);
    // And the survivor posts the digests now.
    await waitFor(() => digests(follower) >= 1, {
      timeoutMs: 30_000,
      what: `a digest from the survivor:\n${follower.output()}`,
    });
  });
});
