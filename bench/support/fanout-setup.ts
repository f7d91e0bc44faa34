import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Config } from '../../src/config/schema.js';
import { splitRunOutput } from '../../src/engine/puppet/index.js';
import type { RevisionRun } from '../../src/engine/runs/fleet-service.js';
import { createStorage, type Storage } from '../../src/storage/keyv.js';
import { testConfig } from '../../test/support/config.js';
import { type Fleet, startFleet } from '../../test/support/fleet.js';
import { createPuppetRepo, type PuppetRepoFixture } from '../../test/support/puppet-repo.js';
import { envInt as envIntAtLeast } from './measure.js';

/** The real noop whose stdout and reduced report the stand-in replays (test/fixtures/puppet/reduced). */
export const CANNED = 'noop-v2-node1';
const FIXTURE = new URL('../../test/fixtures/puppet/reduced/', import.meta.url);

/** The stand-in: ignores its arguments, prints a canned noop's stdout, writes the canned reduced report. */
const STAND_IN = `#!/bin/sh
# Stand-in for puppet (bench/fanout.ts): ignores its arguments; prints the stdout of a real noop
# and writes its real reduced report (test/fixtures/puppet/reduced/${CANNED}*.json, host set to
# this node's certname) where the heckler report processor would. No catalog, no Ruby.
cat /data/bench-puppet/stdout
cat /data/bench-puppet/report.json >"$HECKLER_REPORT_OUT"
`;

/** Writes the stand-in to a host path the nodes see, and each node's canned output into its own /data. */
const installStandIn = (benchDir: string, fleet: Fleet): string => {
  const command = join(benchDir, 'bin', 'puppet');
  mkdirSync(join(benchDir, 'bin'), { recursive: true });
  writeFileSync(command, STAND_IN);
  chmodSync(command, 0o755);
  const report = readFileSync(new URL(`${CANNED}.json`, FIXTURE), 'utf8').trim();
  const captured = JSON.parse(readFileSync(new URL(`${CANNED}.run.json`, FIXTURE), 'utf8')) as {
    stdout: string;
    nonce: string;
    certname: string;
  };
  const stdout = splitRunOutput(captured.stdout, captured.nonce).stdout;
  for (const node of fleet.nodes) {
    const dir = join(node.dataDir, 'bench-puppet');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'report.json'), report.replaceAll(captured.certname, node.certname));
    writeFileSync(join(dir, 'stdout'), stdout.replaceAll(captured.certname, node.certname));
  }
  return command;
};

export interface FanoutBench {
  dir: string;
  fleet: Fleet;
  repo: PuppetRepoFixture;
  storage: Storage;
  config: Config;
  /** The stand-in puppet's absolute path (the config's `puppet.command`). */
  puppetCommand: string;
  /** Seconds to start the fleet and build the fixture repo. */
  setupS: number;
  /** Stops every sshd and removes everything the bench made. */
  close(): Promise<void>;
}

/**
 * A fleet of `nodes` sshd nodes, the fixture Puppet repo, the stand-in puppet, and a config the way
 * test/commands/puppet-commands.test.ts builds one (workDir /data/heckler, strict host keys).
 */
export const setUpFanout = async (options: { nodes: number; concurrency: number }): Promise<FanoutBench> => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-bench-fanout-'));
  // process.exit runs the fleet harness's exit hook (no sshd left behind) and removeDir.
  const onSignal = () => process.exit(130);
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', removeDir);
  const started = performance.now();
  const [fleetResult, repoResult] = await Promise.allSettled([
    startFleet({ nodes: options.nodes, dir: join(dir, 'fleet') }),
    createPuppetRepo(join(dir, 'repo')),
  ]);
  const cleanUp = async (fleet?: Fleet, storage?: Storage) => {
    await storage?.close();
    await fleet?.stop();
    removeDir();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', removeDir);
  };
  if (fleetResult.status === 'rejected' || repoResult.status === 'rejected') {
    await cleanUp(fleetResult.status === 'fulfilled' ? fleetResult.value : undefined);
    throw fleetResult.status === 'rejected'
      ? fleetResult.reason
      : (repoResult as PromiseRejectedResult).reason;
  }
  const fleet = fleetResult.value;
  const repo = repoResult.value;
  const setupS = (performance.now() - started) / 1000;
  let storage: Storage | undefined;
  try {
    const puppetCommand = installStandIn(dir, fleet);
    storage = await createStorage({ dataDir: join(dir, 'data'), keyPrefix: 'bench' });
    const config = testConfig({
      repo: { url: repo.path, branch: 'main', mirrorDir: join(dir, 'mirror') },
      puppet: {
        command: puppetCommand,
        args: ['--vardir', '/data/puppet/var', '--confdir', '/data/puppet/conf'],
      },
      fleet: {
        workDir: '/data/heckler',
        ssh: {
          key: fleet.privateKeyPath,
          knownHosts: fleet.knownHostsPath,
          concurrency: options.concurrency,
          // A thousand sshds on two cores accept slowly while the machine is busy: a 10 s connect
          // deadline then fails nodes that are merely queued. Runs on kept connections never wait on it.
          connectTimeout: '30s',
        },
        nodes: Object.fromEntries(
          fleet.nodes.map((node) => [
            node.name,
            { host: node.host, port: node.port, certname: node.certname },
          ]),
        ),
      },
    });
    const opened = storage;
    return { dir, fleet, repo, storage, config, puppetCommand, setupS, close: () => cleanUp(fleet, opened) };
  } catch (error) {
    await cleanUp(fleet, storage);
    throw error;
  }
};

/** Connections every node's sshd accepted so far (sshd logs each one at INFO). */
export const acceptedConnections = (fleet: Fleet): number => {
  let count = 0;
  for (const name of readdirSync(join(fleet.dir, 'nodes'))) {
    const log = readFileSync(join(fleet.dir, 'nodes', name, 'sshd.log'), 'utf8');
    for (let at = log.indexOf('Accepted publickey'); at >= 0; at = log.indexOf('Accepted publickey', at + 1))
      count++;
  }
  return count;
};

/** Throws unless every node was reached and reported the canned changes; returns the bundle bytes sent. */
export const checkHeckler = (result: RevisionRun, nodes: number): number => {
  const problems = result.runs.flatMap((run) => {
    if (!run.reached) return [`${run.node}: ${run.error}`];
    if (run.report.outcome !== 'changes' || run.report.resources.length === 0)
      return [`${run.node}: outcome ${run.report.outcome}, ${run.report.resources.length} resources`];
    if (run.sync.repaired.length > 0) return [`${run.node}: checkout needed repair: ${run.sync.repaired[0]}`];
    return [];
  });
  if (result.runs.length !== nodes || problems.length > 0)
    throw new Error(
      `Heckler run not clean (${result.runs.length} runs):\n${problems.slice(0, 5).join('\n')}`,
    );
  return result.runs.reduce((sum, run) => sum + (run.reached ? run.sync.sentBytes : 0), 0);
};

export const gitIn = (repo: PuppetRepoFixture, args: string[]): string =>
  execFileSync('git', ['-C', repo.path, ...args], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: repo.path,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'bench@example.com',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'bench@example.com',
    },
  }).trim();

let commits = 0;
/** A new commit on main (one small file), as a push would bring; returns its SHA. */
export const newCommit = (repo: PuppetRepoFixture): string => {
  commits++;
  writeFileSync(join(repo.path, 'bench.txt'), `bench commit ${commits}\n`);
  gitIn(repo, ['add', 'bench.txt']);
  gitIn(repo, ['commit', '--quiet', '--no-verify', '-m', `bench: commit ${commits}`]);
  return gitIn(repo, ['rev-parse', 'HEAD']);
};

/** Fan-out knobs may be 0 (no warm-up runs, say). */
export const envInt = (name: string, fallback: number): number => envIntAtLeast(name, fallback, 0);
