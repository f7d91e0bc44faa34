import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { toBlockKit } from '../src/bot/render/blocks.js';
import { digestView, ownerDigestView } from '../src/commands/views/permadiff-digest.js';
import type { StoredChange } from '../src/engine/changes/hash.js';
import { memoryStore } from '../src/engine/changes/memory.js';
import { createChangeStore } from '../src/engine/changes/store.js';
import { groupHashed } from '../src/engine/delta/group-hashed.js';
import { type HashedDelta, hashedDeltaForNode } from '../src/engine/delta/hashed.js';
import { buildDigest } from '../src/engine/permadiffs/digest.js';
import { normalizedDelta } from '../src/engine/permadiffs/normalize-hashed.js';
import { advance, type Observation, type PermadiffGroup } from '../src/engine/permadiffs/state.js';
import type { NormalizedReport, ResourceChange } from '../src/engine/puppet/types.js';
import type { PartOwnership } from '../src/engine/review/records.js';
import { median, peakRssMiB, spread, targetLine } from './support/measure.js';

/**
 * `npm run bench -- digest` (issue 13): a permadiff scan's noops of 2,000 nodes × 50 permadiffs
 * (30 the same fleet-wide, 10 per role, 10 each node's own) through what the scan and the digest
 * do with them — parse, host normalisation, grouping, the streak state, the digest, its message
 * (Block Kit included), its attached file and the owners' messages — against the floor of
 * `JSON.parse`-ing the same report texts, alternating in one process so load hits both alike.
 * The state before is one scan old (every change seen once), so this scan makes them permadiffs.
 *
 * Knobs (environment): BENCH_NODES (2000), BENCH_RUNS (5).
 */
const TARGET_RATIO = 1.5;
/** What (b) is made of, in order, timed inside each run. */
const PHASES = ['group', 'streaks', 'digest', 'message+file', 'owner messages'];
const TARGET_MIB = 1024;
const ROLES = 8;
const SHARED = 30;
const BY_ROLE = 10;
const OWN = 10;

const out = (line = '') => process.stdout.write(`${line}\n`);
const envInt = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
};

const nodeName = (i: number) => `web${String(i + 1).padStart(4, '0')}`;

const change = (type: string, title: string, module: string, diff?: string): ResourceChange => ({
  type,
  title,
  file: `modules/${module}/manifests/init.pp`,
  line: 7,
  events:
    type === 'Exec'
      ? [{ property: 'returns', from: 'notrun', to: '0' }]
      : [
          {
            property: 'content',
            from: '{md5}0f343b0931126a20f133d67c2b018a3b',
            to: '{md5}9a0364b9e99bb480dd25e1f0284c8555',
          },
        ],
  ...(diff === undefined ? {} : { diff }),
  refresh: type === 'Exec',
  failed: false,
  skipped: false,
  logs: [],
});

const fileDiff = (path: string, old: string, now: string) =>
  `--- ${path}\n+++ /tmp/puppet-fileXXXXXX\n@@ -1,3 +1,3 @@\n setting_a = 1\n setting_b = 2\n-${old}\n+${now}\n`;

/** One node's noop at its applied revision, as the store hands it back: JSON text. */
export const reportText = (i: number): string => {
  const node = nodeName(i);
  const role = i % ROLES;
  const resources: ResourceChange[] = [];
  for (let s = 0; s < SHARED; s++)
    resources.push(
      s % 3 === 0
        ? change('Exec', `refresh-cache-${s}`, `app${s % 6}`)
        : change(
            'File',
            `/etc/app/conf-${s}.conf`,
            `app${s % 6}`,
            fileDiff(`/etc/app/conf-${s}.conf`, 'edited = by hand', 'managed = yes'),
          ),
    );
  for (let s = 0; s < BY_ROLE; s++)
    resources.push(
      change(
        'File',
        `/etc/role/${s}.conf`,
        `role${role}`,
        fileDiff(`/etc/role/${s}.conf`, `role = ${role} old`, `role = ${role}`),
      ),
    );
  // Half name their host (normalised into one fleet-wide group each), half are truly this node's own.
  for (let s = 0; s < OWN; s++)
    resources.push(
      s % 2 === 0
        ? change(
            'File',
            `/etc/motd-${s}`,
            'motd',
            fileDiff(`/etc/motd-${s}`, `old banner of ${node}`, `welcome to ${node}`),
          )
        : change(
            'File',
            `/var/lib/local-${s}.state`,
            'local',
            fileDiff(`/var/lib/local-${s}.state`, `seed ${i * 31 + s}`, 'seed 0'),
          ),
    );
  const report: NormalizedReport = {
    node,
    outcome: 'changes',
    configurationVersion: '1795451481',
    resources,
    evalErrors: [],
    messages: [],
  };
  return JSON.stringify(report);
};

/** Owners by module, as CODEOWNERS at the applied revision would give them. */
const ownersOf = (resource: ResourceChange): PartOwnership[] => {
  const module = /^modules\/([^/]+)\//.exec(resource.file ?? '')?.[1] ?? 'none';
  if (module === 'local') return [];
  const id = `U0${module.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
  return [{ of: `${resource.file}:${resource.line}`, owners: [id], unmapped: [], source: 'module' }];
};

const floor = (texts: readonly string[]) => {
  let resources = 0;
  for (const text of texts) resources += (JSON.parse(text) as NormalizedReport).resources.length;
  return resources;
};

/**
 * What a scan does with each node's noop as it arrives (issue 15): parse it, hash its changes into
 * the change store, host-normalise the changes that name the node. Once per report, not per
 * digest; timed apart from (b), split into the parse (the floor's work) and the rest.
 */
const ingest = async (texts: readonly string[]) => {
  const changes = createChangeStore({ store: memoryStore(), clock: { now: () => 0 } });
  const deltas: HashedDelta[] = [];
  const bodies = new Map<string, StoredChange>();
  const scanned = new Set<string>();
  let parseS = 0;
  let restS = 0;
  for (let i = 0; i < texts.length; i++) {
    const node = { name: nodeName(i), certname: `${nodeName(i)}.example.com` };
    const t0 = performance.now();
    const report = JSON.parse(texts[i] as string) as NormalizedReport;
    const t1 = performance.now();
    const record = await changes.ingest(report);
    const delta = hashedDeltaForNode({
      node: node.name,
      commit: { status: 'ok', report: record },
      parents: [],
    });
    scanned.add(node.name);
    deltas.push(await normalizedDelta(changes, delta, node, bodies));
    parseS += (t1 - t0) / 1000;
    restS += (performance.now() - t1) / 1000;
  }
  return { deltas, bodies, scanned, parseS, restS };
};

type Ingested = Awaited<ReturnType<typeof ingest>>;

/** The scan's grouping from keys, the streak state, the digest and its views: returns sizes so nothing is optimised away. */
const scanAndDigest = (scan: Ingested, before: ReadonlyMap<string, PermadiffGroup>, at: number) => {
  const marks: number[] = [performance.now()];
  const mark = () => marks.push(performance.now());
  const { scanned } = scan;
  const { groups } = groupHashed(scan.deltas, scan.bodies, { ignored: [] });
  mark();
  const observed: Observation[] = groups.map((group) => ({
    hash: group.hash,
    resource: group.resource,
    sources: group.sources,
    nodes: group.nodes,
    owners: ownersOf(group.resource),
  }));
  const state = advance(before, { at, scanned, observed }, 2);
  mark();
  const result = buildDigest({
    now: at,
    minRuns: 2,
    groups: [...state.groups.values()],
    lastScan: { at, startedAt: at, by: 'bench', scanned: [...scanned], notScanned: [] },
    ignores: [],
    staleLocks: [],
    waiting: [],
    owners: { admins: ['U0ADMIN'] },
  });
  mark();
  const view = digestView(result.digest);
  const slack = toBlockKit(view.message);
  mark();
  let ownerBytes = 0;
  for (const owner of result.owners) {
    const presented = ownerDigestView(owner, result.digest);
    ownerBytes += toBlockKit(presented.message).blocks.length + (presented.file?.content.length ?? 0);
  }
  mark();
  const phases = marks.slice(1).map((m, k) => (m - (marks[k] as number)) / 1000);
  return {
    phases,
    observed: observed.length,
    state,
    standing: result.digest.standing.length,
    blocks: slack.blocks.length,
    continuations: slack.overflow.length,
    fileBytes: view.file?.content.length ?? 0,
    owners: result.owners.length,
    ownerBytes,
  };
};

export const run = async (): Promise<void> => {
  const nodes = envInt('BENCH_NODES', 2000);
  const runs = envInt('BENCH_RUNS', 5);
  out(
    `digest: ${nodes} nodes × ${SHARED + BY_ROLE + OWN} permadiffs (${SHARED} fleet-wide, ${BY_ROLE} per role, ${OWN} per node), ${runs} runs`,
  );
  const texts = Array.from({ length: nodes }, (_, i) => reportText(i));
  const bytes = texts.reduce((sum, text) => sum + text.length, 0);
  out(
    `  input: ${(bytes / 2 ** 20).toFixed(1)} MiB of report JSON, held in memory as the store would hand it over`,
  );
  // The state one scan ago: every change seen once. Made untimed, by the same code.
  const seenOnce = scanAndDigest(await ingest(texts), new Map(), 1_000).state.groups;
  const floors: number[] = [];
  const digests: number[] = [];
  const ingests: Ingested[] = [];
  let last: ReturnType<typeof scanAndDigest> | undefined;
  for (let i = 0; i < runs; i++) {
    const f0 = performance.now();
    floor(texts);
    floors.push((performance.now() - f0) / 1000);
    const scan = await ingest(texts);
    ingests.push(scan);
    const d0 = performance.now();
    last = scanAndDigest(scan, seenOnce, 2_000 + i);
    digests.push((performance.now() - d0) / 1000);
    const split = PHASES.map((name, k) => `${name} ${last?.phases[k]?.toFixed(3)}`).join(', ');
    out(
      `  run ${i + 1}: floor ${floors[i]?.toFixed(3)} s; ingest ${(scan.parseS + scan.restS).toFixed(3)} s; grouping from keys + streaks + digest ${digests[i]?.toFixed(3)} s (${split})`,
    );
    ingests[i] = { ...scan, deltas: [], bodies: new Map() };
  }
  if (!last) return;
  out();
  out(`(a) floor, JSON.parse of the same reports:                 ${spread(floors, 's', 3)}`);
  out(`(b) group (from keys) + streaks + digest + views:          ${spread(digests, 's', 3)}`);
  const perNode = (values: number[]) =>
    spread(
      values.map((v) => (v * 1000) / nodes),
      'ms',
      3,
    );
  out(
    `ingest, once per report as the scan's noops arrive (not in (b)): per report JSON.parse ${perNode(ingests.map((x) => x.parseS))}, hashing + host-normalising its changes ${perNode(ingests.map((x) => x.restS))}`,
  );
  out(
    `    whole scan: ${spread(
      ingests.map((x) => x.parseS + x.restS),
      's',
      3,
    )}; before the change store (b) also held it: issue 13's 8.72×`,
  );
  out(
    `result: ${last.observed} groups observed, ${last.standing} standing; digest message ${last.blocks} Block Kit blocks, ` +
      `${last.continuations} continuations, attached file ${(last.fileBytes / 2 ** 20).toFixed(1)} MiB; ` +
      `${last.owners} owner messages (${(last.ownerBytes / 2 ** 20).toFixed(1)} MiB of their files)`,
  );
  const ratio = median(digests) / median(floors);
  const load = loadavg()[0] ?? 0;
  out(`machine: ${cpus().length} cores, load average ${load.toFixed(1)} at the end (other work shares them)`);
  const rss = peakRssMiB();
  out(`memory: peak RSS of this process ${rss.toFixed(0)} MiB (input, state and both phases)`);
  out();
  out(targetLine('digest/parse', ratio, { op: '≤', limit: TARGET_RATIO, unit: '×' }));
  out(targetLine('digest-rss-mb', rss, { op: '<', limit: TARGET_MIB, digits: 0 }));
};
