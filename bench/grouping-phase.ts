import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { StoredChange } from '../src/engine/changes/hash.js';
import { type HashedReport, ingestReport } from '../src/engine/changes/record.js';
import { changeHash } from '../src/engine/delta/change-key.js';
import { groupDeltas } from '../src/engine/delta/group.js';
import { groupHashed } from '../src/engine/delta/group-hashed.js';
import { type HashedDelta, hashedDeltaForNode, keysNamed } from '../src/engine/delta/hashed.js';
import { compressHosts } from '../src/engine/delta/hostlist.js';
import { deltaForNode, type NodeDelta } from '../src/engine/delta/subtract.js';
import type { NormalizedReport, ResourceChange } from '../src/engine/puppet/types.js';
import { IGNORED, nodeName } from './grouping-data.js';

/**
 * One measured phase of `npm run bench -- grouping`, in a process of its own (bench/grouping.ts
 * starts it) so each phase's memory high-water mark is its own. Prints one JSON line.
 *
 * Input: the JSON texts bench/grouping.ts wrote, per node `N.commit.json` and `N.parent.json`.
 * `stream` reads one node's pair at a time, as the bot reads noops from its store; `memory`
 * reads all of them first. Reading is never timed: the clock runs only around parsing and the
 * math, so the floor is JSON.parse alone.
 *
 * Phases: `floor` (JSON.parse of every text), `delta` (parse + deltaForNode + groupDeltas; then
 * host lists for every group, timed apart), `naive` (the first cut, kept as the "before": every
 * resource of commit and parent hashed with changeHash; sets and maps keyed by hash), `hashed`
 * (the change store's path: parse each node's two records `N.commit.hashed.json` and
 * `N.parent.hashed.json`, subtract keys, then parse the bodies of the keys left — read from
 * `bodies.dat` by `bodies.idx.json` as a store hands each back, text — and groupHashed), `ingest` (what a report
 * costs when it arrives: JSON.parse of the report, then ingestReport hashing each change; split).
 */

export interface PhaseResult {
  phase: string;
  wallS: number;
  /** CPU seconds of this process over the same timed stretches (GC threads included). */
  cpuS: number;
  /** Of wallS, JSON.parse alone (delta and naive phases). */
  parseS?: number;
  /** groupDeltas alone: what is left once each node's delta is computed as its noop arrives. */
  groupS?: number;
  /** hashed: reading the bodies of the groups' keys; ingest: hashing (ingestReport) alone. */
  bodiesS?: number;
  hashS?: number;
  hashCpuS?: number;
  /** Host lists for every group, after (b). */
  hostsS?: number;
  inputMiB: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  maxRssMiB: number;
  heapLimitMiB: number;
  groups?: number;
  deltaResources?: number;
  deltaHash?: string;
}

const MiB = 2 ** 20;
const rss = () => process.memoryUsage.rss() / MiB;

const naiveDelta = (node: string, commit: NormalizedReport, parent: NormalizedReport): NodeDelta => {
  const shown = new Set(parent.resources.map(changeHash));
  const resources = commit.resources.filter((resource) => !shown.has(changeHash(resource)));
  return { node, kind: 'changes', resources, evalErrors: [], parentErrors: [] };
};

const naiveGroups = (deltas: NodeDelta[]): number => {
  const groups = new Map<string, { resource: ResourceChange; nodes: string[] }>();
  for (const delta of deltas) {
    for (const resource of delta.resources) {
      const hash = changeHash(resource);
      const group = groups.get(hash);
      if (group) group.nodes.push(delta.node);
      else groups.set(hash, { resource, nodes: [delta.node] });
    }
  }
  return groups.size;
};

const [phase = 'delta', dir = '.', nodesArg = '2000', mode = 'stream'] = process.argv.slice(2);
const nodes = Number(nodesArg);
const read = (i: number) => ({
  node: nodeName(i, nodes),
  commit: readFileSync(join(dir, `${i}.commit.json`), 'utf8'),
  parent: readFileSync(join(dir, `${i}.parent.json`), 'utf8'),
});
const held = mode === 'memory' ? Array.from({ length: nodes }, (_, i) => read(i)) : undefined;
const input = (i: number) => held?.[i] ?? read(i);
const readHashed = (i: number) => ({
  node: nodeName(i, nodes),
  commit: readFileSync(join(dir, `${i}.commit.hashed.json`), 'utf8'),
  parent: readFileSync(join(dir, `${i}.parent.hashed.json`), 'utf8'),
});

let inputBytes = 0;
let timed = 0;
let cpu = 0;
/**
 * Runs `work` on the clock; everything else (reading files, sampling RSS) is off it. CPU time is
 * kept beside wall time: on a busy machine the wall clock also counts waiting for a core.
 */
const clock = <T>(work: () => T): T => {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const value = work();
  const used = process.cpuUsage(cpuBefore);
  timed += performance.now() - started;
  cpu += (used.user + used.system) / 1000;
  return value;
};

(globalThis as { gc?: () => void }).gc?.();
const rssBeforeMiB = rss();
let peak = rssBeforeMiB;
const deltas: NodeDelta[] = [];
let parsed = 0;
let parseMs = 0;
const hashedDeltas: HashedDelta[] = [];
let hashMs = 0;
let hashCpuMs = 0;
for (let i = 0; i < nodes; i++) {
  if (phase === 'hashed') {
    const { node, commit, parent } = readHashed(i);
    inputBytes += commit.length + parent.length;
    const before = timed;
    const [c, p] = clock(() => [JSON.parse(commit), JSON.parse(parent)] as HashedReport[]);
    parseMs += timed - before;
    hashedDeltas.push(
      clock(() =>
        hashedDeltaForNode({
          node,
          commit: { status: 'ok', report: c as HashedReport },
          parents: [{ revision: 'parent', noop: { status: 'ok', report: p as HashedReport } }],
        }),
      ),
    );
    if (i % 50 === 0) peak = Math.max(peak, rss());
    continue;
  }
  const { node, commit, parent } = input(i);
  inputBytes += commit.length + parent.length;
  if (phase === 'ingest') {
    // One report arriving: parsed (as the floor does), then each change hashed once.
    const before = timed;
    const report = clock(() => JSON.parse(commit) as NormalizedReport);
    parseMs += timed - before;
    const hashedAt = timed;
    const cpuAt = cpu;
    parsed += clock(() => ingestReport(report).bodies.size);
    hashMs += timed - hashedAt;
    hashCpuMs += cpu - cpuAt;
  } else if (phase === 'floor') {
    parsed += clock(
      () =>
        (JSON.parse(commit) as NormalizedReport).resources.length +
        (JSON.parse(parent) as NormalizedReport).resources.length,
    );
  } else {
    // Parsing and the math on the clock separately: their split, unlike two processes' totals,
    // is measured under the same load.
    const before = timed;
    const [c, p] = clock(() => [JSON.parse(commit), JSON.parse(parent)] as NormalizedReport[]);
    parseMs += timed - before;
    deltas.push(
      clock(() =>
        phase === 'naive'
          ? naiveDelta(node, c as NormalizedReport, p as NormalizedReport)
          : deltaForNode({
              node,
              commit: { status: 'ok', report: c as NormalizedReport },
              parents: [{ revision: 'parent', noop: { status: 'ok', report: p as NormalizedReport } }],
            }),
      ),
    );
  }
  if (i % 50 === 0) peak = Math.max(peak, rss());
}
const extra: Partial<PhaseResult> = {};
if ((phase === 'floor' || phase === 'ingest') && parsed === 0) throw new Error('nothing parsed');
if (phase === 'ingest')
  Object.assign(extra, { parseS: parseMs / 1000, hashS: hashMs / 1000, hashCpuS: hashCpuMs / 1000 });
if (phase === 'hashed') {
  // The store, outside the process as Redis would be: every distinct body once in one file, found by
  // an index; a body's text is read untimed (the store's work), parsed on the clock (the bot's).
  const index = JSON.parse(readFileSync(join(dir, 'bodies.idx.json'), 'utf8')) as Record<
    string,
    [number, number]
  >;
  const file = openSync(join(dir, 'bodies.dat'), 'r');
  const texts = new Map<string, string>();
  for (const key of keysNamed(hashedDeltas)) {
    const [offset, length] = index[key] as [number, number];
    const buffer = Buffer.alloc(length);
    readSync(file, buffer, 0, length, offset);
    texts.set(key, buffer.toString('utf8'));
  }
  closeSync(file);
  extra.parseS = parseMs / 1000;
  const before = timed;
  const bodies = clock(() => {
    const found = new Map<string, StoredChange>();
    for (const [key, text] of texts) found.set(key, JSON.parse(text));
    return found;
  });
  texts.clear();
  extra.bodiesS = (timed - before) / 1000;
  const groupedAt = timed;
  const grouped = clock(() => groupHashed(hashedDeltas, bodies, { ignored: IGNORED }));
  Object.assign(extra, {
    groupS: (timed - groupedAt) / 1000,
    groups: grouped.groups.length,
    deltaHash: grouped.deltaHash,
    deltaResources: hashedDeltas.reduce((sum, delta) => sum + delta.keys.length, 0),
  });
  peak = Math.max(peak, rss());
}
if (phase === 'delta' || phase === 'naive') {
  extra.deltaResources = deltas.reduce((sum, delta) => sum + delta.resources.length, 0);
  extra.parseS = parseMs / 1000;
}
if (phase === 'naive') extra.groups = clock(() => naiveGroups(deltas));
if (phase === 'delta') {
  const before = timed;
  const grouped = clock(() => groupDeltas(deltas, { ignored: IGNORED }));
  Object.assign(extra, {
    groupS: (timed - before) / 1000,
    groups: grouped.groups.length,
    deltaHash: grouped.deltaHash,
  });
  peak = Math.max(peak, rss());
  const started = performance.now();
  const lists = grouped.groups.map((group) => compressHosts(group.nodes));
  extra.hostsS = (performance.now() - started) / 1000;
  if (lists.length !== grouped.groups.length) throw new Error('host lists missing');
}
const result: PhaseResult = {
  phase,
  wallS: timed / 1000,
  cpuS: cpu / 1000,
  ...extra,
  inputMiB: inputBytes / MiB,
  rssBeforeMiB,
  rssPeakMiB: Math.max(peak, rss()),
  maxRssMiB: process.resourceUsage().maxRSS / 1024,
  heapLimitMiB: getHeapStatistics().heap_size_limit / MiB,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
