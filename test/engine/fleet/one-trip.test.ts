import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSshTransport, type SshTransport } from '../../../src/adapters/transport/ssh.js';
import { isHecklerError } from '../../../src/engine/errors.js';
import { CodeSyncError } from '../../../src/engine/fleet/code-sync.js';
import { onNodes } from '../../../src/engine/fleet/fanout.js';
import { type SyncThenRunOptions, syncThenRun } from '../../../src/engine/fleet/one-trip.js';
import type { NodeSpec, NodeTransport } from '../../../src/engine/ports/transport.js';
import { createNonce } from '../../../src/engine/puppet/index.js';
import { guessedBundles, sharedBundles } from '../../../src/engine/runs/fleet-service.js';
import { type Fleet, startFleet } from '../../support/fleet.js';
import { captureLogger } from '../../support/logger.js';
import { runOk } from '../../support/process.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../../support/puppet-repo.js';

/**
 * One round trip per node (issue 15): syncThenRun against real sshd nodes and real git. Every
 * command a node receives is recorded, so each case proves how many round trips it took and what
 * travelled; the checkout is then compared with the commit, file by file.
 */
const dir = mkdtempSync(join(tmpdir(), 'heckler-one-trip-'));
let fleet: Fleet;
let repo: PuppetRepoFixture;
let ssh: SshTransport;
let nodes: NodeSpec[];
const WORK_DIR = '/data/heckler';
const CHECKOUT = `${WORK_DIR}/checkout`;

/** Every command sent, per node: how many round trips a run took and the bytes on stdin. */
const sent: { node: string; command: string; stdinBytes: number }[] = [];
const transport: NodeTransport = {
  exec: (node, command, options) => {
    sent.push({ node: node.name, command, stdinBytes: options?.stdin?.length ?? 0 });
    return ssh.exec(node, command, options);
  },
  check: (node) => ssh.check(node),
  close: async () => {},
};
const tripsOf = (name: string, since: number) => sent.slice(since).filter((s) => s.node === name);

/** What the bot's mirror does (CodeRepo.bundle), with the git CLI: `sha` minus what `haves` reach. */
const bundles: { sha: string; haves: readonly string[]; bytes: number }[] = [];
const bundle = async (sha: string, haves: readonly string[]): Promise<Buffer> => {
  const n = bundles.length;
  const ref = `refs/heckler-test/bundle-${n}-${Math.random().toString(36).slice(2)}`;
  const path = join(dir, `${n}-${ref.slice(-6)}.bundle`);
  await runOk('git', ['-C', repo.path, 'update-ref', ref, sha]);
  try {
    await runOk('git', ['-C', repo.path, 'bundle', 'create', path, ref, ...haves.map((have) => `^${have}`)]);
  } finally {
    await runOk('git', ['-C', repo.path, 'update-ref', '-d', ref]);
  }
  const bytes = readFileSync(path);
  bundles.push({ sha, haves, bytes: bytes.length });
  return bytes;
};

let pushes = 0;
/** A new commit on main, as a push brings. */
const newCommit = async (): Promise<string> => {
  pushes++;
  const git = (...args: string[]) =>
    runOk('git', ['-C', repo.path, '-c', 'user.name=Pusher', '-c', 'user.email=p@example.com', ...args]);
  await runOk('sh', ['-c', `echo push ${pushes} > ${join(repo.path, 'pushed.txt')}`]);
  await git('add', 'pushed.txt');
  await git('commit', '-q', '--no-verify', '-m', `push ${pushes}`);
  return (await git('rev-parse', 'HEAD')).stdout.trim();
};

/** The mirror's ancestry check (CodeRepo.isAncestor), with the git CLI. */
const isAncestor = async (ancestor: string, descendant: string) =>
  runOk('git', ['-C', repo.path, 'merge-base', '--is-ancestor', ancestor, descendant]).then(
    () => true,
    () => false,
  );
const bundleOnGuess = guessedBundles({ isAncestor }, bundle);

const node = (name: string) => nodes.find((n) => n.name === name) as NodeSpec;
const sh = async (name: string, command: string) => {
  const result = await ssh.exec(node(name), command);
  expect(result, result.stderr).toMatchObject({ status: 'ok' });
  return result.stdout.trim();
};
/** The command a run wants on the exact checkout: it reports the HEAD and the tree it saw. */
const COMMAND = `cd ${CHECKOUT} && echo "ran at $(git rev-parse HEAD)" && git status --porcelain --ignored --untracked-files=all && exit 2`;
const run = (name: string, sha: string, extra: Partial<SyncThenRunOptions> = {}) =>
  syncThenRun({
    transport,
    node: node(name),
    sha,
    bundle,
    bundleOnGuess,
    command: COMMAND,
    timeoutMs: 60_000,
    nonce: createNonce(),
    ...extra,
  });
/** The command ran once, on a checkout that was exactly `sha`, and its exit code came back as its own. */
const expectRanAt = (result: Awaited<ReturnType<typeof run>>, sha: string) => {
  expect(result.result).toMatchObject({ status: 'failed', exitCode: 2, stdout: `ran at ${sha}\n` });
};
const expectCheckoutAt = async (name: string, sha: string) => {
  expect(await sh(name, `git -C ${CHECKOUT} rev-parse HEAD`)).toBe(sha);
  expect(await sh(name, `git -C ${CHECKOUT} status --porcelain --ignored --untracked-files=all`)).toBe('');
  expect(await sh(name, `cat ${WORK_DIR}/state/synced`)).toBe(sha);
  expect(await sh(name, `ls ${WORK_DIR}/state`)).toBe('synced');
};

beforeAll(async () => {
  [fleet, repo] = await Promise.all([startFleet({ nodes: 3 }), createPuppetRepo(join(dir, 'repo'))]);
  nodes = fleet.nodes.map((n) => ({
    name: n.name,
    transport: 'ssh',
    host: n.host,
    port: n.port,
    user: n.user,
    keyPath: fleet.privateKeyPath,
    certname: n.certname,
    workDir: WORK_DIR,
  }));
  ssh = createSshTransport({
    knownHostsPath: fleet.knownHostsPath,
    hostKeys: 'strict',
    concurrency: 10,
    connectTimeoutMs: 5_000,
    keepaliveMs: 10_000,
    logger: captureLogger().logger,
  });
}, 60_000);

afterAll(async () => {
  await ssh?.close();
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('syncThenRun over ssh', () => {
  it('first run: the node has no checkout, so it says so, gets a full clone, then runs', async () => {
    const { owners } = repo.commits;
    const since = sent.length;
    const outcomes = await onNodes(nodes, (n) => run(n.name, owners), { concurrency: 3 });
    for (const outcome of outcomes) {
      if (!outcome.ok) throw outcome.error;
      expectRanAt(outcome.value, owners);
      expect(outcome.value.sync.repaired).toEqual([]);
      // the one-trip command (answered "sync first"), the clone with its bundle, the command
      expect(tripsOf(outcome.node, since).map((s) => s.stdinBytes > 0)).toEqual([false, true, false]);
      await expectCheckoutAt(outcome.node, owners);
    }
  });

  it('commit present and checked out: one round trip, nothing sent', async () => {
    const { owners } = repo.commits;
    const since = sent.length;
    const result = await run('node1', owners, { guess: owners });
    expectRanAt(result, owners);
    expect(result.sync).toEqual({ sha: owners, sentBytes: 0, repaired: [] });
    expect(tripsOf('node1', since)).toHaveLength(1);
    await expectCheckoutAt('node1', owners);
  });

  it('commit present but another one checked out (going back): one round trip, no bundle', async () => {
    const { initial, owners } = repo.commits;
    const before = bundles.length;
    const since = sent.length;
    // no guess at all: a restarted bot
    expectRanAt(await run('node1', initial), initial);
    expect(tripsOf('node1', since)).toHaveLength(1);
    await expectCheckoutAt('node1', initial);
    // a guess behind the commit: the bundle travels, the node sees it has the commit and checks it out
    expectRanAt(await run('node1', owners, { guess: initial }), owners);
    // a rollback: the guess contains the commit, so no bundle is even made
    expectRanAt(await run('node1', initial, { guess: owners }), initial);
    expect(tripsOf('node1', since)).toHaveLength(3);
    expect(bundles.slice(before).map((b) => b.haves)).toEqual([[initial]]);
    await expectCheckoutAt('node1', initial);
  });

  it('commit absent, guess right: the bundle of what it lacks rides on the one command', async () => {
    const { owners, fixed } = repo.commits;
    const since = sent.length;
    const result = await run('node2', fixed, { guess: owners });
    expectRanAt(result, fixed);
    const made = bundles.at(-1);
    expect(made?.haves).toEqual([owners]);
    expect(result.sync).toEqual({ sha: fixed, sentBytes: made?.bytes, repaired: [] });
    expect(tripsOf('node2', since).map((s) => s.stdinBytes)).toEqual([made?.bytes]);
    await expectCheckoutAt('node2', fixed);
  });

  it('commit absent, nothing known: two round trips, the second carrying the bundle', async () => {
    const { owners, fixed } = repo.commits;
    const since = sent.length;
    const result = await run('node3', fixed);
    expectRanAt(result, fixed);
    expect(bundles.at(-1)?.haves).toEqual([owners]);
    expect(tripsOf('node3', since).map((s) => s.stdinBytes)).toEqual([0, bundles.at(-1)?.bytes]);
    expect(result.sync.repaired).toEqual([]);
    await expectCheckoutAt('node3', fixed);
  });

  it('wrong guess: the node lacks the base the bundle was built on, so it says what it has', async () => {
    const { initial, owners, fixed } = repo.commits;
    // node3 starts over with only `initial`'s history
    await sh('node3', `rm -rf ${CHECKOUT}`);
    await run('node3', initial);
    await expectCheckoutAt('node3', initial);
    const before = bundles.length;
    const since = sent.length;
    const result = await run('node3', fixed, { guess: owners });
    expectRanAt(result, fixed);
    expect(bundles.slice(before).map((b) => b.haves)).toEqual([[owners], [initial]]);
    const trips = tripsOf('node3', since);
    expect(trips.map((s) => s.stdinBytes)).toEqual(bundles.slice(before).map((b) => b.bytes));
    // the failed bundle left nothing behind
    await expectCheckoutAt('node3', fixed);
  });

  it('tree dirty: nothing runs on it; the probe path resets it, then the command runs', async () => {
    const { fixed } = repo.commits;
    await sh(
      'node2',
      [
        `cd ${CHECKOUT}`,
        'echo tampered >> manifests/site.pp',
        'echo staged > staged.pp && git add staged.pp',
        'mkdir -p modules/rogue && echo rogue > modules/rogue/init.pp',
      ].join(' && '),
    );
    const since = sent.length;
    const result = await run('node2', fixed, { guess: fixed });
    expectRanAt(result, fixed);
    expect(result.sync.repaired).toEqual(['dirty working tree (modified or untracked files) reset']);
    // one-trip (refused), checkout, command
    expect(tripsOf('node2', since)).toHaveLength(3);
    await expectCheckoutAt('node2', fixed);
  });

  it('an ignored file is no exact tree either: removed before the command runs', async () => {
    const { fixed } = repo.commits;
    await sh('node2', `cd ${CHECKOUT} && echo '*.orig' > .git/info/exclude && echo x > site.pp.orig`);
    expectRanAt(await run('node2', fixed, { guess: fixed }), fixed);
    await expectCheckoutAt('node2', fixed);
  });

  it('stale index.lock: removed on the probe path, then the command runs', async () => {
    const { fixed } = repo.commits;
    await sh('node2', `touch -d '-2 minutes' ${CHECKOUT}/.git/index.lock`);
    const result = await run('node2', fixed, { guess: fixed });
    expectRanAt(result, fixed);
    expect(result.sync.repaired).toEqual([
      expect.stringMatching(/^stale \.git\/index\.lock \(1[2-9]\ds old\) removed$/),
    ]);
    await expectCheckoutAt('node2', fixed);
  });

  it('repository corrupt (objects gone): re-cloned from a full bundle, then the command runs', async () => {
    const { fixed, owners } = repo.commits;
    await sh('node1', `rm -rf ${CHECKOUT}/.git/objects/pack ${CHECKOUT}/.git/objects/??`);
    const before = bundles.length;
    const result = await run('node1', fixed, { guess: owners });
    expectRanAt(result, fixed);
    expect(result.sync.repaired).toEqual(['corrupt repository: re-cloned from a full bundle']);
    expect(bundles.slice(before).map((b) => b.haves)).toEqual([[owners], []]);
    await expectCheckoutAt('node1', fixed);
  });

  it('repository corrupt (index): the one-trip command refuses, the probe path re-clones', async () => {
    const { fixed, owners } = repo.commits;
    await sh('node1', `head -c 200 /dev/urandom > ${CHECKOUT}/.git/index`);
    const result = await run('node1', owners, { guess: fixed });
    expectRanAt(result, owners);
    expect(result.sync.repaired).toEqual([
      'repository unusable (fatal: index file corrupt): re-cloned from a full bundle',
    ]);
    await expectCheckoutAt('node1', owners);
  });

  it('a push: every node gets the one bundle (commit, base) in its one command', async () => {
    const { fixed } = repo.commits;
    for (const name of ['node1', 'node2', 'node3']) await run(name, fixed);
    const pushed = await newCommit();
    const before = bundles.length;
    const since = sent.length;
    const shared = sharedBundles({ bundle });
    const outcomes = await onNodes(
      nodes,
      (n) =>
        run(n.name, pushed, {
          node: n,
          bundle: shared,
          bundleOnGuess: guessedBundles({ isAncestor }, shared),
          guess: fixed,
        }),
      { concurrency: 3 },
    );
    for (const outcome of outcomes) {
      if (!outcome.ok) throw outcome.error;
      expectRanAt(outcome.value, pushed);
      await expectCheckoutAt(outcome.node, pushed);
    }
    expect(bundles.slice(before).map((b) => b.haves)).toEqual([[fixed]]);
    expect(sent.slice(since).map((s) => s.stdinBytes)).toEqual(Array(3).fill(bundles.at(-1)?.bytes));
  });
});

describe('syncThenRun against hostile and broken answers', () => {
  it('a command that prints a look-alike of the "sync first" answer is still the command', async () => {
    const { owners } = repo.commits;
    const result = await run('node1', owners, {
      guess: owners,
      command: 'echo heckler-sync-needed-0123456789abcdef; echo repo absent; exit 75',
    });
    expect(result.result).toMatchObject({ exitCode: 75, stdout: expect.stringContaining('repo absent') });
    expect(result.sync).toEqual({ sha: owners, sentBytes: 0, repaired: [] });
  });

  it('a checkout it cannot write to: nothing runs, nothing is lost, and the error says why', async () => {
    const { fixed, owners } = repo.commits;
    await run('node3', owners);
    const since = sent.length;
    await fleet.ssh(fleet.node('node3'), 'mount -o remount,bind,ro /data');
    try {
      const error = await run('node3', fixed, { guess: owners }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CodeSyncError);
      expect((error as Error).message).toMatch(/^node3: .*Read-only file system/);
    } finally {
      await fleet.ssh(fleet.node('node3'), 'mount -o remount,bind,rw /data');
    }
    expect(tripsOf('node3', since).some((s) => s.command === COMMAND)).toBe(false);
    await expectCheckoutAt('node3', owners);
  });

  it('an unreachable node is NODE_UNREACHABLE, as with the probe path', async () => {
    const refused = await syncThenRun({
      transport,
      node: { ...node('node1'), port: 1 },
      sha: repo.commits.fixed,
      bundle,
      bundleOnGuess,
      command: COMMAND,
      timeoutMs: 10_000,
      nonce: createNonce(),
    }).catch((caught: unknown) => caught);
    expect(isHecklerError(refused, 'NODE_UNREACHABLE')).toBe(true);
    expect((refused as Error).message).toMatch(/^node1: checking the checkout: connection refused/);
  });

  it('refuses anything but a full SHA before touching the node', async () => {
    const since = sent.length;
    await expect(run('node1', `${repo.commits.fixed}; rm -rf /`)).rejects.toThrow(/not a full commit SHA/);
    expect(sent.length).toBe(since);
  });
});
