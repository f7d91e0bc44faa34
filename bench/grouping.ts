import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { nodeInput, RESOURCES } from './grouping-data.js';
import type { PhaseResult } from './grouping-phase.js';
import { envInt, median, spread, targetLine } from './support/measure.js';

/**
 * `npm run bench -- grouping` (DESIGN.md §7): the delta noop and grouping of 2,000 node reports ×
 * 500 changed resources (commit vs one parent, ~90% shared), against the floor of merely
 * `JSON.parse`-ing the same text, in one run. Targets: under 2 s and under 1 GB RSS.
 *
 * The input is written once as JSON files (one commit and one parent noop per node). Each phase
 * runs in a fresh process (bench/grouping-phase.ts) so its RSS high-water mark is its own; floor
 * and delta alternate so machine load hits both alike. By default a phase reads one node's pair
 * at a time, as the bot reads noops from its store (the store, not the bot, holds 2,000 nodes'
 * worth of text); BENCH_INPUT=memory holds all of it in the process first.
 *
 * Knobs (environment): BENCH_NODES (2000), BENCH_RUNS (3 pairs), BENCH_INPUT (stream | memory),
 * BENCH_NAIVE=1 also times the first cut (hash every resource) as the "before", BENCH_NODE_FLAGS
 * passes V8 flags to the phases (e.g. `--max-semi-space-size=32`, as a worker's resourceLimits would).
 */

const TARGET_S = 2;
const TARGET_MIB = 1024;
const PHASE = fileURLToPath(new URL('./grouping-phase.ts', import.meta.url));

const out = (line = '') => process.stdout.write(`${line}\n`);

const phase = (name: string, dir: string, nodes: number, mode: string): PhaseResult => {
  // The same runtime (tsx's loader flags included) in a fresh process, with gc() exposed.
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
  const args = [...process.execArgv, '--expose-gc', ...flags, PHASE, name, dir, String(nodes), mode];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 2 ** 20 });
  if (child.status !== 0)
    throw new Error(`phase ${name} failed (${child.status ?? child.signal}):\n${child.stderr}`);
  const line = child.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as PhaseResult;
};

const mib = (value: number) => `${value.toFixed(0)} MiB`;
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

const writeInput = (nodes: number): string => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-bench-grouping-'));
  for (let i = 0; i < nodes; i++) {
    const { commit, parent } = nodeInput(i, nodes);
    writeFileSync(join(dir, `${i}.commit.json`), commit);
    writeFileSync(join(dir, `${i}.parent.json`), parent);
  }
  return dir;
};

export const run = async (): Promise<void> => {
  const nodes = envInt('BENCH_NODES', 2000);
  const runs = envInt('BENCH_RUNS', 3);
  const naive = process.env.BENCH_NAIVE === '1';
  const mode = process.env.BENCH_INPUT === 'memory' ? 'memory' : 'stream';
  out(
    `grouping: ${nodes} nodes × ${RESOURCES} changed resources, commit vs one parent (~90% shared), ${runs} runs`,
  );
  const started = performance.now();
  const dir = writeInput(nodes);
  out(`  input written in ${((performance.now() - started) / 1000).toFixed(1)} s to ${dir}`);
  try {
    report(nodes, runs, naive, mode, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const report = (nodes: number, runs: number, naive: boolean, mode: string, dir: string): void => {
  const floors: PhaseResult[] = [];
  const deltas: PhaseResult[] = [];
  const naives: PhaseResult[] = [];
  for (let i = 0; i < runs; i++) {
    floors.push(phase('floor', dir, nodes, mode));
    deltas.push(phase('delta', dir, nodes, mode));
    if (naive) naives.push(phase('naive', dir, nodes, mode));
    const naiveText = naive ? `, naive ${naives[i]?.wallS.toFixed(2)} s` : '';
    out(
      `  run ${i + 1}: floor ${floors[i]?.wallS.toFixed(2)} s, delta ${deltas[i]?.wallS.toFixed(2)} s${naiveText}`,
    );
  }
  const first = deltas[0] as PhaseResult;
  if (deltas.some((d) => d.deltaHash !== first.deltaHash)) throw new Error('runs disagree on the delta hash');
  out();
  const held = mode === 'memory' ? 'all held in the process' : "read one node's pair at a time";
  out(`input: ${mib(first.inputMiB)} of JSON text (${nodes * 2} reports), ${held}`);
  times(floors, deltas, naives);
  out(
    `result: ${first.groups} groups from ${first.deltaResources} delta resources (${((first.deltaResources ?? 0) / nodes).toFixed(0)} per node)`,
  );
  const peakMiB = Math.max(...deltas.map((d) => d.maxRssMiB));
  const sampled = Math.max(...deltas.map((d) => d.rssPeakMiB));
  out(
    `memory, delta process: peak RSS ${mib(peakMiB)} (high-water mark); ${mib(first.rssBeforeMiB)} before (b), sampled peak during (b) ${mib(sampled)}; V8 heap limit ${mib(first.heapLimitMiB)}`,
  );
  out(`memory, floor process: peak RSS ${mib(Math.max(...floors.map((f) => f.maxRssMiB)))}`);
  out();
  const floorS = median(wall(floors));
  const deltaS = median(wall(deltas));
  out(
    `target (b) < ${TARGET_S} s: ${deltaS.toFixed(2)} s wall — ${verdict(deltaS < TARGET_S)} (${median(cpu(deltas)).toFixed(2)} CPU-s; the floor alone takes ${floorS.toFixed(2)} s)`,
  );
  out(`target peak RSS < 1 GB: ${mib(peakMiB)} — ${verdict(peakMiB < TARGET_MIB)}`);
  out(targetLine('grouping-wall-s', deltaS, { op: '<', limit: TARGET_S, unit: ' s' }));
  out(targetLine('grouping-rss-mb', peakMiB, { op: '<', limit: TARGET_MIB, digits: 0 }));
};

const wall = (results: PhaseResult[]) => results.map((r) => r.wallS);
const cpu = (results: PhaseResult[]) => results.map((r) => r.cpuS);
const both = (results: PhaseResult[]) => `${spread(wall(results)).padEnd(24)} CPU ${spread(cpu(results))}`;
const ms = (values: number[]) => spread(values, 's', 3);
const parse = (r: PhaseResult) => r.parseS ?? 0;

const times = (floors: PhaseResult[], deltas: PhaseResult[], naives: PhaseResult[]): void => {
  const floorS = median(wall(floors));
  const deltaS = median(wall(deltas));
  const cpuRatio = median(cpu(deltas)) / median(cpu(floors));
  out(`(a) floor, JSON.parse of the same text:        ${both(floors)}`);
  out(`(b) parse + delta subtraction + grouping:      ${both(deltas)}`);
  out(
    `    ratio (b)/(a): ${(deltaS / floorS).toFixed(2)}× wall, ${cpuRatio.toFixed(2)}× CPU; beyond parsing: ${((deltaS - floorS) * 1000).toFixed(0)} ms wall`,
  );
  // The split is measured inside one process, under one load: steadier than two processes' totals.
  const subtraction = deltas.map((d) => d.wallS - parse(d) - (d.groupS ?? 0));
  const grouping = deltas.map((d) => d.groupS ?? 0);
  out(
    `    of (b), in its own process: JSON.parse ${ms(deltas.map(parse))}, subtraction ${ms(subtraction)}, groupDeltas ${ms(grouping)}`,
  );
  if (naives.length > 0) {
    out(`    before (hash every resource, sets by hash): ${both(naives)}`);
    out(
      `      of which JSON.parse ${ms(naives.map(parse))}, the rest ${ms(naives.map((n) => n.wallS - parse(n)))}`,
    );
  }
  out(`    host lists for every group (after, apart): ${ms(deltas.map((d) => d.hostsS ?? 0))}`);
};
