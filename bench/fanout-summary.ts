import { loadavg } from 'node:os';
import { median, peakRssMiB, spread, targetLine } from './support/measure.js';

/** One timed run of one side (bench/fanout.ts). */
export interface Sample {
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

export interface FanoutResults {
  nodeCount: number;
  concurrency: number;
  cold: Sample;
  steady: { h: Sample[]; fair: Sample[]; minimal: Sample[] };
  incremental: { h: Sample[]; fair: Sample[] };
  fresh: Sample[];
  /** The bot's resident memory (MiB) before it was composed, and with every node's connection open. */
  rss: { beforeMiB: number; connectedMiB: number };
  warnings: string[];
  startedMs: number;
}

/** Issue 15's goals, and what the bench said before it (README, one run on this 2-core machine). */
const GOALS = { steadyMinimal: 0.8, newCommitBundle: 0.6 };
const TODAY = {
  steadyFair: '0.34×',
  steadyMinimal: '1.25×',
  botCpuSteady: '2.6 ms',
};

const out = (line = '') => process.stdout.write(`${line}\n`);
const ms = (seconds: number) => `${(seconds * 1000).toFixed(1)} ms`;

export const printSummary = (r: FanoutResults): void => {
  const { nodeCount, steady, incremental, fresh, cold } = r;
  const wall = (samples: Sample[]) => samples.map((s) => s.wallS);
  const perNodeS = (samples: Sample[], pick: (s: Sample) => number) =>
    median(samples.map((s) => pick(s) / nodeCount));
  const perNode = (samples: Sample[], pick: (s: Sample) => number) => ms(perNodeS(samples, pick));
  const conns = (samples: Sample[]) => median(samples.map((s) => s.connects));
  const row = (name: string, samples: Sample[], cpu: string) => {
    if (samples.length > 0) out(`  ${name.padEnd(46)} ${spread(wall(samples)).padEnd(24)} ${cpu}`);
  };
  const ratioOf = (a: Sample[], b: Sample[]) => median(wall(a)) / median(wall(b));
  const bot = (samples: Sample[]) =>
    `bot ${perNode(samples, (s) => s.selfS)} + git ${perNode(samples, (s) => s.childrenS)}; ${conns(samples)} connections/run`;
  const ssh = (samples: Sample[], what = 'ssh clients') =>
    `${what} ${perNode(samples, (s) => s.childrenS)} + driver ${perNode(samples, (s) => s.selfS)}; ${conns(samples)} connections/run`;
  out();
  out(
    `summary: ${nodeCount} nodes, concurrency ${r.concurrency}; wall time median (min–max); CPU per node per run (median)`,
  );
  row('Heckler, steady state (1 command/node)', steady.h, bot(steady.h));
  row('plain ssh, the probe path: 3 commands', steady.fair, ssh(steady.fair));
  row('plain ssh, the stand-in only (minimal)', steady.minimal, ssh(steady.minimal));
  row('Heckler, new commit (bundle on the 1 command)', incremental.h, bot(incremental.h));
  row(
    'plain ssh, 3 commands + one bundle',
    incremental.fair,
    ssh(incremental.fair, 'ssh clients + git bundle'),
  );
  row('Heckler, fresh connections (restarted bot)', fresh, bot(fresh));
  row(
    'Heckler, cold (first noop: full bundles)',
    [cold],
    `bot ${ms(cold.selfS / nodeCount)} + git ${ms(cold.childrenS / nodeCount)}`,
  );
  if (steady.h.length > 0 && steady.fair.length > 0)
    out(
      `  machine CPU busy per run (every process, all cores): Heckler steady ${spread(
        steady.h.map((s) => s.machineS),
        'CPU-s',
        1,
      )}, plain ssh ×3 ${spread(
        steady.fair.map((s) => s.machineS),
        'CPU-s',
        1,
      )}, plain ssh ×1 ${spread(
        steady.minimal.map((s) => s.machineS),
        'CPU-s',
        1,
      )}`,
    );
  const rssPerNodeKiB = ((r.rss.connectedMiB - r.rss.beforeMiB) * 1024) / nodeCount;
  out(
    `  bot memory: RSS ${r.rss.beforeMiB.toFixed(0)} MiB before composing, ${r.rss.connectedMiB.toFixed(0)} MiB with ${nodeCount} connections open after the steady runs: ${rssPerNodeKiB.toFixed(0)} KiB/node (→ ${((rssPerNodeKiB * 10_000) / 1024).toFixed(0)} MiB for 10,000 nodes); peak RSS of this process (bot + fleet harness + ssh driver) ${peakRssMiB().toFixed(0)} MiB`,
  );
  if (steady.h.length > 0) {
    const cpu = perNodeS(steady.h, (s) => s.selfS);
    out(
      `  bot CPU per node, steady: ${ms(cpu)} (→ ${(cpu * 10_000).toFixed(1)} CPU-s per 10,000-node noop); today ${TODAY.botCpuSteady}`,
    );
  }
  out();
  if (steady.h.length > 0 && steady.fair.length > 0)
    out(
      `ratio Heckler steady / plain ssh, the 3 probe-path commands: ${ratioOf(steady.h, steady.fair).toFixed(2)}× (today ${TODAY.steadyFair})`,
    );
  if (steady.h.length > 0 && steady.minimal.length > 0)
    out(
      `ratio Heckler steady / one plain ssh per node running only the stand-in (the floor): ${ratioOf(steady.h, steady.minimal).toFixed(2)}× (goal ≤ ${GOALS.steadyMinimal}×; today ${TODAY.steadyMinimal})`,
    );
  if (incremental.h.length > 0 && incremental.fair.length > 0)
    out(
      `ratio Heckler new commit / plain ssh, 3 commands + one bundle: ${ratioOf(incremental.h, incremental.fair).toFixed(2)}× (goal ≤ ${GOALS.newCommitBundle}×)`,
    );
  if (fresh.length > 0 && steady.minimal.length > 0)
    out(
      `ratio Heckler with fresh connections (restarted bot) / the floor: ${ratioOf(fresh, steady.minimal).toFixed(2)}× (no target: a restart connects every node and checks the report processor once)`,
    );
  out();
  out(
    "Heckler includes: FleetService.run as composeApp builds it: mirror fetch + resolve + commit info, then per node one command (fleet/one-trip.ts) that checks the checkout, checks out the commit (with the bundle built on the node's last known commit on stdin when it lacks it) and runs the puppet wrapper; marker parsing and normalization of the report; one ssh2 connection per node, kept between runs.",
  );
  out(
    "plain ssh includes: per node the probe path's command lines (probe, checkout with or without the bundle, puppet wrapper; the same remoteCommand wrapper), or for the floor the stand-in alone, each through its own OpenSSH client process and connection (key exchange + auth every time, ControlMaster=no), stdout collected and the markers checked; no parsing or normalization.",
  );
  if (r.warnings.length > 0) out(`bot log: ${r.warnings.length} warnings, first: ${r.warnings[0]}`);
  out(
    `total ${((performance.now() - r.startedMs) / 1000).toFixed(0)} s; load average ${loadavg()[0]?.toFixed(1)} at the end (other work on this machine skews both sides)`,
  );
  if (steady.h.length > 0 && steady.fair.length > 0)
    out(
      `bot CPU per node beside the targets: steady ${perNode(steady.h, (s) => s.selfS)}${incremental.h.length > 0 ? `, new commit ${perNode(incremental.h, (s) => s.selfS)} + git ${perNode(incremental.h, (s) => s.childrenS)}` : ''}`,
    );
  if (steady.h.length > 0 && steady.minimal.length > 0)
    out(
      targetLine('steady/minimal', ratioOf(steady.h, steady.minimal), {
        op: '≤',
        limit: GOALS.steadyMinimal,
        unit: '×',
      }),
    );
  if (incremental.h.length > 0 && incremental.fair.length > 0)
    out(
      targetLine('new-commit/ssh-bundle', ratioOf(incremental.h, incremental.fair), {
        op: '≤',
        limit: GOALS.newCommitBundle,
        unit: '×',
      }),
    );
};
