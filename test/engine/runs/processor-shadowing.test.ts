import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeFleet } from '../../../src/compose/fleet.js';
import { systemClock } from '../../../src/engine/ports/index.js';
import { reviewStatus } from '../../../src/engine/review/records.js';
import type { NodeRun } from '../../../src/engine/runs/puppet-on-node.js';
import { createStorage, type Storage } from '../../../src/storage/keyv.js';
import { RecordingChat } from '../../fakes/recording-chat.js';
import { testConfig } from '../../support/config.js';
import { type Fleet, startFleet } from '../../support/fleet.js';
import { captureLogger } from '../../support/logger.js';
import {
  addForgedProcessor,
  createPluginRepo,
  oldDaemonTrace,
  type PluginRepo,
  setMotd,
} from '../../support/plugin-repo.js';

/**
 * What a checkout can do to the report processor Heckler runs, end to end: three real sshd nodes,
 * real Puppet, real git, the bot's own fleet and review services. Two repositories share the
 * fleet, each with its own workDir and Puppet vardir.
 */
type Composed = NonNullable<Awaited<ReturnType<typeof composeFleet>>>;
const NODES = ['node1', 'node2', 'node3'];

let fleet: Fleet;
const storages: Storage[] = [];
let vendored: { repo: PluginRepo; bot: Composed };
let hostile: { repo: PluginRepo; bot: Composed };

const compose = async (dir: string, repo: PluginRepo) => {
  const workDir = `/data/heckler-${repo.name}`;
  const config = testConfig({
    repo: { url: repo.path, branch: 'main', mirrorDir: join(dir, `mirror-${repo.name}`) },
    puppet: { args: ['--vardir', '{workDir}/puppet/var', '--confdir', '{workDir}/puppet/conf'] },
    fleet: {
      workDir,
      ssh: { key: fleet.privateKeyPath, knownHosts: fleet.knownHostsPath, concurrency: 10 },
      nodes: Object.fromEntries(
        fleet.nodes.map((n) => [n.name, { host: n.host, port: n.port, certname: n.certname }]),
      ),
    },
  });
  const storage = await createStorage({ dataDir: join(dir, `data-${repo.name}`), keyPrefix: repo.name });
  storages.push(storage);
  const bot = await composeFleet({
    config,
    storage,
    logger: captureLogger().logger,
    clock: systemClock,
    chat: new RecordingChat(),
  });
  if (!bot) throw new Error('composeFleet returned nothing for a config with a repo');
  // The fleet runs the first commit: every delta is judged against it.
  expectApplied(await bot.service.runSha(repo.commits[0] as string, bot.service.nodes(), 'apply', 'U0ADMIN'));
  return { repo, bot };
};

const expectApplied = (runs: NodeRun[]) => {
  for (const run of runs) {
    if (!run.reached || run.applied?.outcome !== 'ok')
      throw new Error(`apply failed: ${JSON.stringify(run)}`);
  }
};

/** The bot's mirror fetches the new commit, as its poll would. */
const fetched = (bot: Composed, sha: string) => bot.reviews.resolve(sha, { fetch: true });

/** The managed file as the node sees it. */
const motdOn = (node: string, repo: PluginRepo) =>
  readFileSync(join(fleet.node(node).dataDir, repo.motdFile.replace(/^\/data\//, '')), 'utf8');
const appliedRevision = (node: string, repo: PluginRepo) =>
  (
    JSON.parse(
      readFileSync(join(fleet.node(node).dataDir, `heckler-${repo.name}`, 'state', 'applied.json'), 'utf8'),
    ) as { revision: string }
  ).revision;

/** Each node's changes as `Type[title]` with the added lines of its diff. */
const changesOf = (runs: NodeRun[]) =>
  runs.map((run) => {
    if (!run.reached) throw new Error(`${run.node} was not reached: ${run.error}`);
    return {
      node: run.node,
      outcome: run.report.outcome,
      changes: run.report.resources.map((r) => [
        `${r.type}[${r.title}]`,
        (r.diff ?? '').split('\n').filter((line) => /^\+[^+]/.test(line)),
      ]),
    };
  });

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-shadowing-'));
  let repos: [PluginRepo, PluginRepo];
  [fleet, ...repos] = await Promise.all([
    startFleet({ nodes: NODES.length }),
    createPluginRepo(join(dir, 'vendored'), { name: 'vendored', vendorOldHeckler: true }),
    createPluginRepo(join(dir, 'hostile'), { name: 'hostile' }),
  ]);
  [vendored, hostile] = await Promise.all([compose(dir, repos[0]), compose(dir, repos[1])]);
}, 180_000);

afterAll(async () => {
  await Promise.all([vendored?.bot.close(), hostile?.bot.close()]);
  await Promise.all(storages.map((storage) => storage.close()));
  await fleet?.stop();
});

describe("a repository vendoring the old daemon's modules/heckler", () => {
  it('noops, is reviewed and applies like any other; its own processor never runs', async () => {
    const { repo, bot } = vendored;
    const sha = await fetched(bot, await setMotd(repo, 'second'));
    const review = await bot.reviews.review(sha);
    expect(review.grouped.groups.map((g) => [`${g.resource.type}[${g.resource.title}]`, g.nodes])).toEqual([
      ['File[/data/vendored/motd]', NODES],
    ]);
    expect(review.grouped.groups[0]?.resource.diff).toMatch(/^\+second$/m);
    expect(review.grouped.failures).toEqual([]);
    expect(reviewStatus(review)).toBe('pending');

    const applied = await bot.service.runSha(sha, bot.service.nodes(), 'apply', 'U0ADMIN');
    expect(changesOf(applied)).toEqual(
      NODES.map((node) => ({
        node,
        outcome: 'changes',
        changes: [['File[/data/vendored/motd]', ['+second']]],
      })),
    );
    expectApplied(applied);
    for (const node of NODES) {
      expect(motdOn(node, repo)).toBe('second\n');
      expect(existsSync(join(fleet.node(node).dataDir, oldDaemonTrace(repo).replace(/^\/data\//, '')))).toBe(
        false,
      );
    }
  }, 180_000);
});

describe('a commit that brings its own report processor', () => {
  it('named heckler, forging an all-quiet report: the real change still shows, and needs approval', async () => {
    const { repo, bot } = hostile;
    const sha = await fetched(
      bot,
      await addForgedProcessor(repo, { module: 'x', report: 'heckler', motd: 'forged' }),
    );
    const review = await bot.reviews.review(sha);
    expect(review.grouped.groups.map((g) => [`${g.resource.type}[${g.resource.title}]`, g.nodes])).toEqual([
      ['File[/data/hostile/motd]', NODES],
    ]);
    expect(review.grouped.groups[0]?.resource.diff).toMatch(/^\+forged$/m);
    expect(review.grouped.failures).toEqual([]);
    expect(reviewStatus(review)).toBe('pending');
  }, 180_000);

  it('named heckler_bot_r1: refused on every node, naming the file; an apply changes nothing', async () => {
    const { repo, bot } = hostile;
    const before = repo.commits[0] as string;
    const sha = await fetched(
      bot,
      await addForgedProcessor(repo, { module: 'evil', report: 'heckler_bot_r1', motd: 'evil' }),
    );
    const error =
      "the checkout defines Heckler's own report processor (modules/evil/lib/puppet/reports/heckler_bot_r1.rb): " +
      'its report cannot be trusted; remove that file';
    const noops = await bot.service.runSha(sha, bot.service.nodes(), 'noop', 'U0ADMIN');
    expect(noops.map((run) => run.reached && [run.node, run.report.outcome, run.report.problem])).toEqual(
      NODES.map((node) => [node, 'failed', error]),
    );

    const review = await bot.reviews.review(sha);
    expect(review.grouped.failures).toEqual([{ kind: 'failed', error, nodes: NODES }]);
    expect(review.grouped.groups).toEqual([]);
    expect(review.grouped.counts).toMatchObject({ failed: 3, changed: 0, unchanged: 0 });
    expect(reviewStatus(review)).toBe('pending');

    const applies = await bot.service.runSha(sha, bot.service.nodes(), 'apply', 'U0ADMIN');
    for (const run of applies) {
      expect(run).toMatchObject({
        reached: true,
        report: { outcome: 'failed', problem: error, resources: [] },
      });
      // Puppet never ran: the node still runs what it ran, and is not marked dirty
      expect(run.reached && run.applied).toBeUndefined();
      expect(motdOn(run.node, repo)).toBe('first\n');
      expect(appliedRevision(run.node, repo)).toBe(before);
    }
  }, 180_000);
});
