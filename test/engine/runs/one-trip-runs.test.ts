import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeApp, type HecklerApp } from '../../../src/compose/app.js';
import { configTransport } from '../../../src/compose/fleet.js';
import type { NodeSpec, NodeTransport } from '../../../src/engine/ports/index.js';
import type { FleetService } from '../../../src/engine/runs/fleet-service.js';
import type { NodeRun } from '../../../src/engine/runs/puppet-on-node.js';
import { RecordingChat } from '../../fakes/recording-chat.js';
import { testConfig } from '../../support/config.js';
import { type Fleet, startFleet } from '../../support/fleet.js';
import { captureLogger } from '../../support/logger.js';
import { runOk } from '../../support/process.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../../support/puppet-repo.js';

/**
 * The fleet service remembers what each node's checkout holds (issue 15): with real Puppet over
 * real sshd nodes, a noop of a commit the nodes have, and of one they lack, is one command per
 * node; a node changed behind the bot's back is found out and synced on the probe path, and the
 * run after that is one command again. Every command a node receives is recorded.
 */
let fleet: Fleet;
let repo: PuppetRepoFixture;
let app: HecklerApp;
let service: FleetService;
let dir: string;
const sent: { node: string; command: string; stdinBytes: number }[] = [];

const commandsSince = (since: number) => {
  const per = new Map<string, number[]>();
  for (const s of sent.slice(since)) per.set(s.node, [...(per.get(s.node) ?? []), s.stdinBytes]);
  return Object.fromEntries([...per].sort(([a], [b]) => a.localeCompare(b)));
};
const expectReached = (runs: NodeRun[], sha: string) => {
  for (const run of runs) {
    if (!run.reached) throw new Error(`${run.node}: ${run.error}`);
    expect(run.sha).toBe(sha);
    expect(['changes', 'unchanged']).toContain(run.report.outcome);
  }
};
/** A new commit on main, as a push brings. */
const push = async (): Promise<string> => {
  const git = (...args: string[]) =>
    runOk('git', ['-C', repo.path, '-c', 'user.name=Pusher', '-c', 'user.email=p@example.com', ...args]);
  await runOk('sh', ['-c', `echo pushed >> ${join(repo.path, 'README.md')}`]);
  await git('commit', '-q', '--no-verify', '-am', 'a push');
  return (await git('rev-parse', 'HEAD')).stdout.trim();
};
const headOf = async (node: string) =>
  (await fleet.ssh(node, 'git -C /data/heckler/checkout rev-parse HEAD')).stdout.trim();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'heckler-one-trip-runs-'));
  [fleet, repo] = await Promise.all([startFleet({ nodes: 3 }), createPuppetRepo(join(dir, 'repo'))]);
  const config = testConfig({
    repo: { url: repo.path, branch: 'main', mirrorDir: join(dir, 'mirror') },
    puppet: { args: ['--vardir', '/data/puppet/var', '--confdir', '/data/puppet/conf'] },
    fleet: {
      workDir: '/data/heckler',
      ssh: { key: fleet.privateKeyPath, knownHosts: fleet.knownHostsPath, concurrency: 10 },
      nodes: Object.fromEntries(
        fleet.nodes.map((node) => [node.name, { host: node.host, port: node.port, certname: node.certname }]),
      ),
    },
    storage: { dataDir: join(dir, 'data'), keyPrefix: 'test' },
  });
  const { logger } = captureLogger();
  const real = configTransport(config, logger);
  const transport: NodeTransport = {
    exec: (node: NodeSpec, command, options) => {
      sent.push({ node: node.name, command, stdinBytes: options?.stdin?.length ?? 0 });
      return real.exec(node, command, options);
    },
    check: (node) => real.check(node),
    close: () => real.close(),
  };
  app = await composeApp(config, { chat: new RecordingChat(), logger, scheduler: false, transport });
  if (!app.fleet) throw new Error('composeApp made no fleet for a config with a repo');
  service = app.fleet.service;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('one round trip per node, as the fleet service runs Puppet', { timeout: 120_000 }, () => {
  it('a first noop syncs every node on the probe path', async () => {
    const { owners } = repo.commits;
    expectReached(await service.runSha(owners, service.nodes(), 'noop', 'U0TEST'), owners);
    for (const node of ['node1', 'node2', 'node3']) expect(await headOf(node)).toBe(owners);
  });

  it('noop again: one command per node, nothing sent', async () => {
    const { owners } = repo.commits;
    const since = sent.length;
    expectReached(await service.runSha(owners, service.nodes(), 'noop', 'U0TEST'), owners);
    expect(commandsSince(since)).toEqual({ node1: [0], node2: [0], node3: [0] });
  });

  it('a commit the nodes lack: still one command per node, carrying the same bundle', async () => {
    const { fixed } = repo.commits;
    const since = sent.length;
    const runs = await service.runSha(fixed, service.nodes(), 'noop', 'U0TEST');
    expectReached(runs, fixed);
    const trips = commandsSince(since);
    const bytes = trips.node1?.[0] ?? 0;
    expect(bytes).toBeGreaterThan(0);
    expect(trips).toEqual({ node1: [bytes], node2: [bytes], node3: [bytes] });
    for (const run of runs)
      expect(run.reached && run.sync).toEqual({ sha: fixed, sentBytes: bytes, repaired: [] });
    for (const node of ['node1', 'node2', 'node3']) expect(await headOf(node)).toBe(fixed);
  });

  it('an apply: the one command, then the node records what it runs', async () => {
    const { fixed } = repo.commits;
    const since = sent.length;
    const runs = await service.runSha(fixed, service.nodes(), 'apply', 'U0TEST');
    expectReached(runs, fixed);
    for (const run of runs)
      expect(run.reached && run.applied).toMatchObject({ revision: fixed, outcome: 'ok' });
    const trips = commandsSince(since);
    expect(Object.values(trips).map((t) => t.length)).toEqual([2, 2, 2]);
  });

  it('a node changed behind the bot: found out, sent the right bundle, then one command again', async () => {
    const { initial, fixed } = repo.commits;
    // Someone re-made node2's checkout by hand with only the first commit's history.
    const checkout = join(fleet.node('node2').dataDir, 'heckler', 'checkout');
    rmSync(checkout, { recursive: true, force: true });
    await runOk('git', ['clone', '-q', '--no-checkout', repo.path, checkout]);
    const git = (...args: string[]) => runOk('git', ['-C', checkout, ...args]);
    await git('checkout', '-q', '--detach', initial);
    const refs = (await git('for-each-ref', '--format=%(refname)')).stdout.split('\n').filter(Boolean);
    for (const ref of refs) await git('update-ref', '-d', ref);
    await git('reflog', 'expire', '--expire=now', '--all');
    await git('gc', '-q', '--prune=now');
    expect((await git('cat-file', '-t', fixed).catch(() => ({ stdout: 'missing' }))).stdout.trim()).toBe(
      'missing',
    );

    const pushed = await push();
    const since = sent.length;
    const { runs } = await service.run(pushed, service.nodes(), 'noop', 'U0TEST');
    expectReached(runs, pushed);
    const trips = commandsSince(since);
    const onFixed = trips.node1?.[0] ?? 0;
    expect(onFixed).toBeGreaterThan(0);
    expect(trips.node3).toEqual([onFixed]);
    // node2: the bundle built on the bot's guess (fixed) it cannot use, then one built on what it said it has
    expect(trips.node2).toEqual([onFixed, expect.any(Number)]);
    expect(trips.node2?.[1]).toBeGreaterThan(onFixed);
    expect(await headOf('node2')).toBe(pushed);

    const again = sent.length;
    expectReached(await service.runSha(fixed, service.nodes(), 'noop', 'U0TEST'), fixed);
    expect(commandsSince(again)).toEqual({ node1: [0], node2: [0], node3: [0] });
  });
});
