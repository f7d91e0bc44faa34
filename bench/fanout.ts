import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { composeApp } from '../src/compose/app.js';
import type { ComposedFleet } from '../src/compose/fleet.js';
import type { NodeSpec } from '../src/engine/ports/index.js';
import type { FleetService } from '../src/engine/runs/fleet-service.js';
import { RecordingChat } from '../test/fakes/recording-chat.js';
import type { Fleet } from '../test/support/fleet.js';
import { captureLogger } from '../test/support/logger.js';
import { checkBaseline, engineSteps, minimalStep, type SshStep, sshFanout } from './fanout-baseline.js';
import { printSummary, type Sample } from './fanout-summary.js';
import {
  acceptedConnections,
  CANNED,
  checkHeckler,
  envInt,
  type FanoutBench,
  gitIn,
  newCommit,
  setUpFanout,
} from './support/fanout-setup.js';
import { measure } from './support/measure.js';

/**
 * `npm run bench -- fanout` (DESIGN.md §7): the bot's overhead to noop one commit over 200 SSH
 * nodes, against plain parallel `ssh` to the same nodes at the same concurrency, in one run.
 * Puppet on the nodes is a stand-in that replays a real noop at once, so what is measured is the
 * bot: code sync, the puppet wrapper, the marker protocol, normalization, and the transport.
 *
 * Knobs: --nodes N or BENCH_NODES (200; `npm run bench -- fanout --nodes 1000`), --concurrency N
 * or BENCH_CONCURRENCY (50), and in the environment BENCH_RUNS (2 steady-state rounds),
 * BENCH_INCREMENTAL_RUNS (1), BENCH_FRESH_RUNS (1); 0 skips a phase. Where the time goes:
 * bench/fanout-profile.ts.
 */

/** `--nodes 1000` on the command line (`npm run bench -- fanout --nodes 1000`) wins over BENCH_NODES. */
const knob = (flag: string, env: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${flag}`);
  if (at < 0) return envInt(env, fallback);
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${flag} takes a whole number of at least 1, got ${process.argv[at + 1]}`);
  return value;
};
const MIB = 2 ** 20;

const out = (line = '') => process.stdout.write(`${line}\n`);
const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`;
const short = (sha: string) => sha.slice(0, 7);
const last = <T>(items: readonly T[]): T => {
  const item = items.at(-1);
  if (item === undefined) throw new Error('no sample yet');
  return item;
};

const sampled = async (fleet: Fleet, task: () => Promise<number>): Promise<Sample> => {
  const connectsBefore = acceptedConnections(fleet);
  const { value, wallS, cpu } = await measure(task);
  return {
    wallS,
    selfS: cpu.selfS,
    childrenS: cpu.childrenS,
    machineS: cpu.machineBusyS,
    connects: acceptedConnections(fleet) - connectsBefore,
    sentBytes: value,
  };
};

export const run = async (): Promise<void> => {
  const nodeCount = knob('nodes', 'BENCH_NODES', 200);
  const concurrency = knob('concurrency', 'BENCH_CONCURRENCY', 50);
  const steadyRuns = envInt('BENCH_RUNS', 2);
  const incrementalRuns = envInt('BENCH_INCREMENTAL_RUNS', 1);
  const freshRuns = envInt('BENCH_FRESH_RUNS', 1);
  const started = performance.now();
  const sshVersion = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim();

  out(
    `fanout: noop one commit over ${nodeCount} SSH nodes, Heckler vs plain parallel ssh (targets: steady ≤ 0.8× of one plain ssh per node running only the stand-in; new commit ≤ 0.6× of plain ssh with the probe path's 3 commands and one bundle)`,
  );
  out(
    `NOTE: puppet on the nodes is a STAND-IN shell script: it ignores its arguments, prints the stdout of a real noop and writes that noop's real reduced report (test/fixtures/puppet/reduced/${CANNED}.json, host = the node's certname) to $HECKLER_REPORT_OUT, then exits 0 at once.`,
  );
  out(
    `machine: ${availableParallelism()} CPUs shared by the bot, the ssh clients and all ${nodeCount} nodes (load average ${loadavg()[0]?.toFixed(1)} at start); Node ${process.version}; ${sshVersion}`,
  );

  let bench: FanoutBench | undefined;
  let composed: ComposedFleet | undefined;
  try {
    bench = await setUpFanout({ nodes: nodeCount, concurrency });
    const { fleet, repo, config, storage, puppetCommand } = bench;
    out(
      `fleet: ${nodeCount} sshd nodes (own mount + UTS namespaces, own /data) and the fixture repo ready in ${bench.setupS.toFixed(1)} s; stand-in puppet: ${puppetCommand}`,
    );
    const { logger, lines: logLines } = captureLogger([], 'info');
    const compose = async (): Promise<ComposedFleet> => {
      // Reviews post to chat; the bench runs plain noops, so nothing is said. The store is the bench's.
      const app = await composeApp(config, {
        chat: new RecordingChat(),
        storage,
        logger,
        scheduler: false,
        version: 'bench',
      });
      if (!app.fleet) throw new Error('composeApp made no fleet for a config with a repo');
      return { ...app.fleet, close: () => app.close() };
    };
    // The bot's share of this process's memory: what composing it and keeping every node's connection adds.
    const rss = { beforeMiB: process.memoryUsage().rss / MIB, connectedMiB: 0 };
    composed = await compose();
    const service: FleetService = composed.service;
    const nodes = service.nodes();
    const sshArgs = (node: NodeSpec) => ['-o', 'ControlMaster=no', ...fleet.sshArgs(node.name)];
    out(
      `both sides: ${concurrency} nodes at once (Heckler: fleet.ssh.concurrency = ${concurrency}; baseline: ${concurrency} nodes' ssh sequences at once), the same user key and known_hosts with strict host key checking, curve25519-sha256 key exchange (OpenSSH: -o KexAlgorithms=curve25519-sha256; ssh2's first choice is curve25519-sha256@libssh.org, the same algorithm)`,
    );

    const heckler = (sha: string, using = service) =>
      sampled(fleet, async () => checkHeckler(await using.run(sha, nodes, 'noop', 'bench'), nodes.length));
    const baseline = (stepsOf: (node: NodeSpec, nonces: Map<string, string>) => SshStep[], count: number) => {
      const nonces = new Map<string, string>();
      return sampled(fleet, async () => {
        let sentBytes = 0;
        const results = await sshFanout(nodes, concurrency, sshArgs, (node) => {
          const steps = stepsOf(node, nonces);
          for (const step of steps) sentBytes += step.stdin?.length ?? 0;
          return steps;
        });
        checkBaseline(results, count, nonces);
        return sentBytes;
      });
    };
    const fair = (sha: string, bundle?: Buffer) => (node: NodeSpec, nonces: Map<string, string>) => {
      const { nonce, steps } = engineSteps(config, node, sha, bundle);
      nonces.set(node.name, nonce);
      return steps;
    };

    // 1. Cold: every connection opened, full bundles, the report processor installed.
    const target = repo.commits.fixed;
    const cold = await heckler(target);
    out();
    out(
      `cold: Heckler's first noop of v2 (${short(target)}): ${cold.wallS.toFixed(2)} s; ${cold.connects} connections; full bundles ${(cold.sentBytes / nodeCount / 1024).toFixed(1)} KiB/node; report processor installed; bot CPU ${ms(cold.selfS / nodeCount)}/node + git ${ms(cold.childrenS / nodeCount)}/node`,
    );

    // 2. Steady state: the nodes have the commit. Heckler and the baselines alternate.
    out();
    out(
      'steady state: noop of v2 again, which every node has. Heckler sends 1 command per node over its kept connection (the node checks its checkout is exactly v2, then runs the puppet wrapper).',
    );
    const steady = { h: [] as Sample[], fair: [] as Sample[], minimal: [] as Sample[] };
    for (let i = 1; i <= steadyRuns; i++) {
      const sides = [
        async () => steady.h.push(await heckler(target)),
        async () => steady.fair.push(await baseline(fair(target), 3)),
        async () => steady.minimal.push(await baseline((node) => [minimalStep(node, puppetCommand)], 1)),
      ];
      // Alternate who goes first, so that drift on this shared machine favours neither side.
      for (const side of i % 2 === 1 ? sides : [...sides].reverse()) await side();
      const [h, f, m] = [last(steady.h), last(steady.fair), last(steady.minimal)];
      out(
        `  round ${i}: Heckler ${h.wallS.toFixed(2)} s (${h.connects} new connections, bot CPU ${ms(h.selfS / nodeCount)}/node) | plain ssh ×3 ${f.wallS.toFixed(2)} s (${f.connects} connections) | plain ssh ×1 ${m.wallS.toFixed(2)} s | Heckler/ssh×3 ${(h.wallS / f.wallS).toFixed(2)}×, Heckler/ssh×1 ${(h.wallS / m.wallS).toFixed(2)}×`,
      );
    }

    rss.connectedMiB = process.memoryUsage().rss / MIB;

    // 3. Incremental: a new commit per run, so every node receives a small bundle.
    const incremental = { h: [] as Sample[], fair: [] as Sample[] };
    if (incrementalRuns > 0) {
      out();
      out(
        "incremental: noop of a new commit on main (as after a push). Heckler: 1 command per node carrying the bundle of what the node lacks (built on the commit the node last said it had, one per (commit, base), shared), which checks out and runs the puppet wrapper. Baseline: the probe path's 3 commands (probe, bundle + checkout, puppet wrapper), one bundle made once (timed) and sent to every node.",
      );
    }
    for (let i = 1; i <= incrementalRuns; i++) {
      const sides = [
        async () => incremental.h.push(await heckler(newCommit(repo))),
        async () => {
          const previous = gitIn(repo, ['rev-parse', 'HEAD']);
          const sha = newCommit(repo);
          const file = join(bench?.dir ?? '', 'baseline.bundle');
          let bundle: Buffer | undefined;
          incremental.fair.push(
            await baseline((node, nonces) => {
              // Every node is at `previous`: one bundle serves them all.
              if (!bundle) {
                gitIn(repo, ['bundle', 'create', '--quiet', file, 'main', `^${previous}`]);
                bundle = readFileSync(file);
              }
              return fair(sha, bundle)(node, nonces);
            }, 3),
          );
        },
      ];
      for (const side of i % 2 === 1 ? sides : [...sides].reverse()) await side();
      const [h, f] = [last(incremental.h), last(incremental.fair)];
      out(
        `  round ${i}: Heckler ${h.wallS.toFixed(2)} s (bot CPU ${ms(h.selfS / nodeCount)}/node + git ${ms(h.childrenS / nodeCount)}/node, ${(h.sentBytes / nodeCount).toFixed(0)} B bundle/node) | plain ssh ×3 + bundle ${f.wallS.toFixed(2)} s (${(f.sentBytes / nodeCount).toFixed(0)} B bundle/node) | Heckler/ssh×3 ${(h.wallS / f.wallS).toFixed(2)}×`,
      );
    }

    // 4. Fresh connections: a bot that just started (new transport); nothing to sync.
    const fresh: Sample[] = [];
    const head = gitIn(repo, ['rev-parse', 'HEAD']);
    if (freshRuns > 0) {
      out();
      out(
        `fresh connections: a newly composed FleetService per run (a restarted bot) noops ${short(head)}, which the nodes have: connect, report processor hash check, then the 1 command (no bundle: the new bot knows no node's commit, and needs none here).`,
      );
      await composed.close();
      composed = undefined;
    }
    for (let i = 1; i <= freshRuns; i++) {
      const made = await compose();
      try {
        const sample = await heckler(head, made.service);
        fresh.push(sample);
        out(
          `  run ${i}: Heckler ${sample.wallS.toFixed(2)} s (${sample.connects} new connections, bot CPU ${ms(sample.selfS / nodeCount)}/node + git ${ms(sample.childrenS / nodeCount)}/node)`,
        );
      } finally {
        await made.close();
      }
    }

    printSummary({
      nodeCount,
      concurrency,
      cold,
      steady,
      incremental,
      fresh,
      rss,
      warnings: logLines.filter((line) => /"level":"(warn|error)"/.test(line)),
      startedMs: started,
    });
  } finally {
    await composed?.close();
    await bench?.close();
  }
};
