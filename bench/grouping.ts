import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { StoredChange } from '../src/engine/changes/hash.js';
import { ingestReport } from '../src/engine/changes/record.js';
import type { NormalizedReport } from '../src/engine/puppet/types.js';
import { nodeInput, RESOURCES } from './grouping-data.js';
import type { PhaseResult } from './grouping-phase.js';
import { envInt, median, spread, targetLine } from './support/measure.js';

/**
 * `npm run bench -- grouping` (DESIGN.md §7, issue 15): the delta noop and grouping of 2,000 node
 * reports × 500 changed resources (commit vs one parent, ~90% shared) two ways side by side — the
 * old path (parse every stored report, subtract, group) and the change store's (parse each node's
 * record of keys, subtract keys, read the bodies of the groups' keys, group) — against the floor
 * of merely `JSON.parse`-ing the same reports, in one run. Beside them, what ingesting one report
 * costs when it arrives (hashing its changes) next to parsing it. Targets: the store's path ≤ 0.5×
 * the floor, its process's peak RSS < 300 MB.
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

const TARGET_RATIO = 0.5;
const TARGET_MIB = 300;
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

/** The reports as JSON, and the same noops as the change store keeps them: records and bodies. */
const writeInput = (nodes: number): string => {
  const dir = mkdtempSync(join(tmpdir(), 'heckler-bench-grouping-'));
  // The bodies in one file with an index, as a store keeps them apart from the bot's process.
  const index: Record<string, [number, number]> = {};
  const bodies = openSync(join(dir, 'bodies.dat'), 'w');
  let offset = 0;
  const hashed = (text: string) => {
    const ingested = ingestReport(JSON.parse(text) as NormalizedReport);
    for (const [key, body] of ingested.bodies as Map<string, StoredChange>) {
      if (index[key] !== undefined) continue;
      const bytes = Buffer.from(JSON.stringify(body));
      writeSync(bodies, bytes);
      index[key] = [offset, bytes.length];
      offset += bytes.length;
    }
    return JSON.stringify(ingested.record);
  };
  for (let i = 0; i < nodes; i++) {
    const { commit, parent } = nodeInput(i, nodes);
    writeFileSync(join(dir, `${i}.commit.json`), commit);
    writeFileSync(join(dir, `${i}.parent.json`), parent);
    writeFileSync(join(dir, `${i}.commit.hashed.json`), hashed(commit));
    writeFileSync(join(dir, `${i}.parent.hashed.json`), hashed(parent));
  }
  closeSync(bodies);
  writeFileSync(join(dir, 'bodies.idx.json'), JSON.stringify(index));
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
  const hashed: PhaseResult[] = [];
  const ingests: PhaseResult[] = [];
  const naives: PhaseResult[] = [];
  for (let i = 0; i < runs; i++) {
    floors.push(phase('floor', dir, nodes, mode));
    deltas.push(phase('delta', dir, nodes, mode));
    hashed.push(phase('hashed', dir, nodes, mode));
    ingests.push(phase('ingest', dir, nodes, mode));
    if (naive) naives.push(phase('naive', dir, nodes, mode));
    const naiveText = naive ? `, naive ${naives[i]?.wallS.toFixed(2)} s` : '';
    out(
      `  run ${i + 1}: floor ${floors[i]?.wallS.toFixed(2)} s, old path ${deltas[i]?.wallS.toFixed(2)} s, change store ${hashed[i]?.wallS.toFixed(3)} s${naiveText}`,
    );
  }
  const first = deltas[0] as PhaseResult;
  const all = [...deltas, ...hashed];
  if (all.some((d) => d.deltaHash !== first.deltaHash))
    throw new Error('the paths disagree on the delta hash');
  if (hashed.some((h) => h.groups !== first.groups)) throw new Error('the paths disagree on the groups');
  out();
  const held = mode === 'memory' ? 'all held in the process' : "read one node's pair at a time";
  out(`input: ${mib(first.inputMiB)} of JSON text (${nodes * 2} reports), ${held}`);
  out(
    `  as change-store records: ${mib((hashed[0] as PhaseResult).inputMiB)} (keys and file:line), plus the bodies`,
  );
  times(floors, deltas, hashed, naives);
  ingest(ingests, nodes);
  out(
    `result: ${first.groups} groups from ${first.deltaResources} delta resources (${((first.deltaResources ?? 0) / nodes).toFixed(0)} per node), the same delta hash both ways`,
  );
  const peakMiB = Math.max(...hashed.map((d) => d.maxRssMiB));
  out(
    `memory, change-store process: peak RSS ${mib(peakMiB)} (high-water mark), ${mib((hashed[0] as PhaseResult).rssBeforeMiB)} before`,
  );
  out(
    `memory, old-path process: peak RSS ${mib(Math.max(...deltas.map((d) => d.maxRssMiB)))}; floor process ${mib(Math.max(...floors.map((f) => f.maxRssMiB)))}`,
  );
  out();
  const ratio = median(wall(hashed)) / median(wall(floors));
  out(targetLine('grouping/parse', ratio, { op: '≤', limit: TARGET_RATIO, unit: '×' }));
  out(targetLine('grouping-rss-mb', peakMiB, { op: '<', limit: TARGET_MIB, digits: 0 }));
};

const wall = (results: PhaseResult[]) => results.map((r) => r.wallS);
const cpu = (results: PhaseResult[]) => results.map((r) => r.cpuS);
const both = (results: PhaseResult[]) => `${spread(wall(results)).padEnd(24)} CPU ${spread(cpu(results))}`;
const ms = (values: number[]) => spread(values, 's', 3);
const parse = (r: PhaseResult) => r.parseS ?? 0;

const times = (
  floors: PhaseResult[],
  deltas: PhaseResult[],
  hashed: PhaseResult[],
  naives: PhaseResult[],
): void => {
  const floorS = median(wall(floors));
  const ratio = (results: PhaseResult[]) =>
    `${(median(wall(results)) / floorS).toFixed(2)}× wall, ${(median(cpu(results)) / median(cpu(floors))).toFixed(2)}× CPU`;
  out(`(a) floor, JSON.parse of the same reports:     ${both(floors)}`);
  out(`(b) old: parse + subtraction + grouping:       ${both(deltas)}`);
  out(`    ratio (b)/(a): ${ratio(deltas)}`);
  // The split is measured inside one process, under one load: steadier than two processes' totals.
  const subtraction = deltas.map((d) => d.wallS - parse(d) - (d.groupS ?? 0));
  out(
    `    of (b): JSON.parse ${ms(deltas.map(parse))}, subtraction ${ms(subtraction)}, groupDeltas ${ms(deltas.map((d) => d.groupS ?? 0))}`,
  );
  out(`(c) new: from the change store:                ${both(hashed)}`);
  out(`    ratio (c)/(a): ${ratio(hashed)}`);
  const keys = hashed.map((h) => h.wallS - parse(h) - (h.bodiesS ?? 0) - (h.groupS ?? 0));
  out(
    `    of (c): records parsed ${ms(hashed.map(parse))}, keys subtracted ${ms(keys)}, bodies read ${ms(hashed.map((h) => h.bodiesS ?? 0))}, groupHashed ${ms(hashed.map((h) => h.groupS ?? 0))}`,
  );
  if (naives.length > 0) {
    out(`    before (hash every resource, sets by hash): ${both(naives)}`);
    out(
      `      of which JSON.parse ${ms(naives.map(parse))}, the rest ${ms(naives.map((n) => n.wallS - parse(n)))}`,
    );
  }
  out(`    host lists for every group (old path, after, apart): ${ms(deltas.map((d) => d.hostsS ?? 0))}`);
};

/** Ingest runs once per report as it arrives, not per review: per report, beside parsing it. */
const ingest = (ingests: PhaseResult[], nodes: number): void => {
  const reports = nodes * 2;
  const perMs = (values: number[]) =>
    spread(
      values.map((v) => (v * 1000) / reports),
      'ms',
      3,
    );
  const hashCpu = ingests.map((i) => i.hashCpuS ?? 0);
  out(`ingest, once per report as it arrives (${reports} reports of ${RESOURCES} changes), per report:`);
  out(
    `  CPU: JSON.parse ${perMs(ingests.map((i, k) => i.cpuS - (hashCpu[k] ?? 0)))} (the floor), hashing its changes ${perMs(hashCpu)}`,
  );
  out(
    `  wall: JSON.parse ${perMs(ingests.map(parse))}, hashing its changes ${perMs(ingests.map((i) => i.hashS ?? 0))}`,
  );
};
