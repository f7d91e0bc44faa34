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
import { measure, median, peakRssMiB, spread, targetLine } from './support/measure.js';

/**
 * `npm run bench -- fanout` (DESIGN.md §7): the bot's overhead to noop one commit over 200 SSH
 * nodes, against plain parallel `ssh` to the same nodes at the same concurrency, in one run.
 * Puppet on the nodes is a stand-in that replays a real noop at once, so what is measured is the
 * bot: code sync, the puppet wrapper, the marker protocol, normalization, and the transport.
 *
 * Knobs (environment): BENCH_NODES (200), BENCH_CONCURRENCY (50), BENCH_RUNS (2 steady-state
 * rounds; each adds ~30 s), BENCH_INCREMENTAL_RUNS (1; ~60 s each), BENCH_FRESH_RUNS (1). The
 * defaults take about 3 minutes on an idle 2-CPU machine, ~85 s of it in the cold and incremental
 * Heckler runs, which make one bundle per node (see bench/fanout-profile.ts).
 */

const TARGET = 1.25;

const out = (line = '') => process.stdout.write(`${line}\n`);
const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`;
const short = (sha: string) => sha.slice(0, 7);
const last = <T>(items: readonly T[]): T => {
  const item = items.at(-1);
  if (item === undefined) throw new Error('no sample yet');
  return item;
};

interface Sample {
  wallS: number;
  /** CPU of this process: the bot (Heckler side) or the ssh driver (baseline side). */
  selfS: number;
  /** CPU of reaped children: git for the bot, the OpenSSH clients for the baseline. */
  childrenS: number;
  /** Busy CPU of the whole machine (the nodes' sshd, shells and git included). */
  machineS: number;
  /** New SSH connections the nodes' sshds accepted. */
  connects: number;
  /** Bundle bytes sent to all nodes together. */
  sentBytes: number;
}

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
  const nodeCount = envInt('BENCH_NODES', 200);
  const concurrency = envInt('BENCH_CONCURRENCY', 50);
  const steadyRuns = envInt('BENCH_RUNS', 2);
  const incrementalRuns = envInt('BENCH_INCREMENTAL_RUNS', 1);
  const freshRuns = envInt('BENCH_FRESH_RUNS', 1);
  const started = performance.now();
  const sshVersion = spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim();

  out(
    `fanout: noop one commit over ${nodeCount} SSH nodes, Heckler vs plain parallel ssh (target ≤ ${TARGET}×)`,
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
      'steady state: noop of v2 again, which every node has. Heckler sends 3 commands per node over its kept connection: sync probe, checkout (no bundle), puppet wrapper.',
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
        `  round ${i}: Heckler ${h.wallS.toFixed(2)} s (${h.connects} new connections, bot CPU ${ms(h.selfS / nodeCount)}/node) | plain ssh ×3 ${f.wallS.toFixed(2)} s (${f.connects} connections) | plain ssh ×1 ${m.wallS.toFixed(2)} s | Heckler/ssh×3 ${(h.wallS / f.wallS).toFixed(2)}×`,
      );
    }

    // 3. Incremental: a new commit per run, so every node receives a small bundle.
    const incremental = { h: [] as Sample[], fair: [] as Sample[] };
    if (incrementalRuns > 0) {
      out();
      out(
        'incremental: noop of a new commit on main (as after a push). Heckler: probe, a bundle of what the node lacks + checkout, puppet wrapper. Baseline: the same 3 commands, one bundle made once (timed) and sent to every node.',
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
        `fresh connections: a newly composed FleetService per run (a restarted bot) noops ${short(head)}, which the nodes have: connect, report processor hash check, then the same 3 commands.`,
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

    // Summary.
    const wall = (samples: Sample[]) => samples.map((s) => s.wallS);
    const perNode = (samples: Sample[], pick: (s: Sample) => number) =>
      ms(median(samples.map((s) => pick(s) / nodeCount)));
    const conns = (samples: Sample[]) => median(samples.map((s) => s.connects));
    const row = (name: string, samples: Sample[], cpu: string) => {
      if (samples.length > 0) out(`  ${name.padEnd(46)} ${spread(wall(samples)).padEnd(24)} ${cpu}`);
    };
    const ratioOf = (a: Sample[], b: Sample[]) => median(wall(a)) / median(wall(b));
    out();
    out(
      `summary: ${nodeCount} nodes, concurrency ${concurrency}; wall time median (min–max); CPU per node per run (median)`,
    );
    row(
      'Heckler, steady state',
      steady.h,
      `bot ${perNode(steady.h, (s) => s.selfS)} + git ${perNode(steady.h, (s) => s.childrenS)}; ${conns(steady.h)} connections/run`,
    );
    row(
      'plain ssh, the same 3 commands',
      steady.fair,
      `ssh clients ${perNode(steady.fair, (s) => s.childrenS)} + driver ${perNode(steady.fair, (s) => s.selfS)}; ${conns(steady.fair)} connections/run`,
    );
    row(
      'plain ssh, the stand-in only (minimal)',
      steady.minimal,
      `ssh clients ${perNode(steady.minimal, (s) => s.childrenS)} + driver ${perNode(steady.minimal, (s) => s.selfS)}; ${conns(steady.minimal)} connections/run`,
    );
    row(
      'Heckler, incremental (new commit)',
      incremental.h,
      `bot ${perNode(incremental.h, (s) => s.selfS)} + git ${perNode(incremental.h, (s) => s.childrenS)}; ${conns(incremental.h)} connections/run`,
    );
    row(
      'plain ssh, the same 3 commands + one bundle',
      incremental.fair,
      `ssh clients + git bundle ${perNode(incremental.fair, (s) => s.childrenS)} + driver ${perNode(incremental.fair, (s) => s.selfS)}; ${conns(incremental.fair)} connections/run`,
    );
    row(
      'Heckler, fresh connections (restarted bot)',
      fresh,
      `bot ${perNode(fresh, (s) => s.selfS)} + git ${perNode(fresh, (s) => s.childrenS)}; ${conns(fresh)} connections/run`,
    );
    row(
      'Heckler, cold (first noop: full bundles)',
      [cold],
      `bot ${ms(cold.selfS / nodeCount)} + git ${ms(cold.childrenS / nodeCount)}`,
    );
    if (steady.h.length > 0)
      out(
        `  machine CPU busy per run (every process, all cores): Heckler steady ${spread(
          steady.h.map((s) => s.machineS),
          'CPU-s',
          1,
        )}, plain ssh ×3 ${spread(
          steady.fair.map((s) => s.machineS),
          'CPU-s',
          1,
        )}`,
      );
    out(
      `  peak RSS of this process (Heckler + fleet harness + ssh driver): ${peakRssMiB().toFixed(0)} MiB; now ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
    );
    out();
    const verdict = (ratio: number) =>
      `${ratio.toFixed(2)}× — target ≤ ${TARGET}×: ${ratio <= TARGET ? 'met' : 'MISSED'}`;
    if (steady.h.length > 0)
      out(
        `ratio Heckler / plain ssh, same commands, commit already on the nodes: ${verdict(ratioOf(steady.h, steady.fair))}`,
      );
    if (incremental.h.length > 0)
      out(
        `ratio Heckler / plain ssh, same commands, new commit (bundle):        ${verdict(ratioOf(incremental.h, incremental.fair))}`,
      );
    if (fresh.length > 0 && steady.fair.length > 0)
      out(
        `ratio Heckler with fresh connections / plain ssh, same commands:       ${verdict(ratioOf(fresh, steady.fair))}`,
      );
    const botCpu = (samples: Sample[]) => perNode(samples, (s) => s.selfS + s.childrenS);
    if (steady.h.length > 0)
      out(
        `client-side CPU per node (bot + its git | ssh driver + OpenSSH clients): steady ${botCpu(steady.h)} | ${botCpu(steady.fair)}${incremental.h.length > 0 ? `; new commit ${botCpu(incremental.h)} | ${botCpu(incremental.fair)}` : ''}. Here the nodes' sshds share these CPUs, so each extra connection also costs the baseline server CPU; on a real fleet that lands on the nodes.`,
      );
    if ([ratioOf(steady.h, steady.fair), ratioOf(incremental.h, incremental.fair)].some((r) => r > TARGET))
      out(
        'where the time goes: npx tsx bench/fanout-profile.ts (spans per step, the bot CPU profile, bundle costs)',
      );
    if (steady.minimal.length > 0)
      out(
        `for scale: Heckler steady / one plain ssh per node running only the stand-in: ${ratioOf(steady.h, steady.minimal).toFixed(2)}× (not like for like: Heckler also syncs the code)`,
      );
    out();
    out(
      'Heckler includes: FleetService.run as composeApp builds it: mirror fetch + resolve + commit info, then per node syncCode (probe; a bundle made for that node if it lacks the commit; checkout), the puppet wrapper, marker parsing and normalization of the report; one ssh2 connection per node, kept between runs.',
    );
    out(
      "plain ssh includes: per node the engine's exact command lines (the same remoteCommand wrapper), each through its own OpenSSH client process and connection (key exchange + auth every time, ControlMaster=no), stdout collected and the markers checked; no parsing or normalization.",
    );
    const warnings = logLines.filter((line) => /"level":"(warn|error)"/.test(line));
    if (warnings.length > 0) out(`bot log: ${warnings.length} warnings, first: ${warnings[0]}`);
    out(
      `total ${((performance.now() - started) / 1000).toFixed(0)} s; load average ${loadavg()[0]?.toFixed(1)} at the end (other work on this machine skews both sides)`,
    );
    if (steady.h.length > 0)
      out(targetLine('steady/ssh', ratioOf(steady.h, steady.fair), { op: '≤', limit: TARGET, unit: '×' }));
    if (incremental.h.length > 0)
      out(
        targetLine('new-commit/ssh-bundle', ratioOf(incremental.h, incremental.fair), {
          op: '≤',
          limit: TARGET,
          unit: '×',
        }),
      );
  } finally {
    await composed?.close();
    await bench?.close();
  }
};
