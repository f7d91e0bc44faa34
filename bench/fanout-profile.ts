import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { openMirror } from '../src/adapters/git/mirror.js';
import { createGitRunner } from '../src/adapters/git/runner.js';
import { configTransport } from '../src/compose/fleet.js';
import type { Config } from '../src/config/schema.js';
import type { CodeRepo, ExecResult, NodeTransport } from '../src/engine/ports/index.js';
import { systemClock } from '../src/engine/ports/index.js';
import { interpretExec, normalizeRun } from '../src/engine/puppet/index.js';
import type { AppliedState } from '../src/engine/runs/applied-state.js';
import { createFleetService } from '../src/engine/runs/fleet-service.js';
import { captureLogger } from '../test/support/logger.js';
import { checkHeckler, envInt, gitIn, newCommit, setUpFanout } from './support/fanout-setup.js';
import { measure, median } from './support/measure.js';

/**
 * Where a 200-node noop spends its time: `npx tsx bench/fanout-profile.ts` (BENCH_NODES,
 * BENCH_CONCURRENCY as in fanout.ts; BENCH_PROFILE_DIR keeps the .cpuprofile files).
 *
 * The engine is unchanged: this builds the FleetService from the same parts as composeFleet, with
 * the transport and the repo wrapped to time every command and every bundle. It also shows one
 * what-if that needs no engine code: a repo whose bundle() is shared by nodes asking for the same
 * (sha, haves), as a per-run cache in FleetService.run would do.
 */

const execGit = (args: string[]) => promisify(execFile)('git', args);

type Kind = 'one-trip' | 'probe' | 'checkout' | 'processor' | 'puppet' | 'other';
const kindOf = (command: string): Kind =>
  command.includes('heckler-sync-needed')
    ? 'one-trip'
    : command.includes('repo absent')
      ? 'probe'
      : command.includes('checkout -q --force')
        ? 'checkout'
        : command.includes('@@HECKLER-REPORT')
          ? 'puppet'
          : command.includes('.sha256')
            ? 'processor'
            : 'other';

interface Span {
  kind: Kind | 'bundle';
  start: number;
  end: number;
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const f1 = (value: number) => value.toFixed(1);

/** Time covered by at least one span (overlaps counted once). */
const covered = (spans: readonly Span[]): number => {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let total = 0;
  let until = Number.NEGATIVE_INFINITY;
  for (const span of sorted) {
    if (span.end <= until) continue;
    total += span.end - Math.max(span.start, until);
    until = span.end;
  }
  return total;
};

const instrumentTransport = (inner: NodeTransport, spans: Span[]): NodeTransport => ({
  exec: async (node, command, options) => {
    const start = performance.now();
    const result: ExecResult = await inner.exec(node, command, options);
    spans.push({ kind: kindOf(command), start, end: performance.now() });
    return result;
  },
  check: (node) => inner.check(node),
  close: () => inner.close(),
});

const instrumentRepo = (inner: CodeRepo, spans: Span[], shared: Map<string, Promise<Buffer>> | undefined) => {
  const timed = async (sha: string, haves: readonly string[]) => {
    const start = performance.now();
    try {
      return await inner.bundle(sha, haves);
    } finally {
      spans.push({ kind: 'bundle', start, end: performance.now() });
    }
  };
  const repo: CodeRepo = Object.create(inner);
  repo.bundle = (sha, haves) => {
    if (!shared) return timed(sha, haves);
    const key = `${sha} ${[...haves].sort().join(',')}`;
    let bundle = shared.get(key);
    if (!bundle) {
      bundle = timed(sha, haves);
      shared.set(key, bundle);
      bundle.catch(() => shared.delete(key));
    }
    return bundle;
  };
  return repo;
};

/** Self time per function and per origin, from a V8 CPU profile. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}

const summarize = (profile: CpuProfile) => {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  (profile.samples ?? []).forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0));
  });
  const origin = (url: string, name: string) => {
    if (name === '(idle)') return 'idle';
    if (name === 'dispatch' && url === '') return 'the profiler itself (Profiler.stop)';
    if (name === '(garbage collector)') return 'GC';
    if (name === '(program)') return 'V8/native (program)';
    if (url.includes('/ssh2/')) return 'ssh2 (crypto, protocol)';
    if (url.includes('simple-git')) return 'simple-git';
    if (url.includes('/node_modules/')) return `other npm: ${url.split('/node_modules/')[1]?.split('/')[0]}`;
    if (url.includes('/src/')) return 'heckler src';
    if (url.startsWith('node:')) return 'node internals';
    return url === '' ? 'native' : 'other';
  };
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const group = origin(url, functionName);
    groups.set(group, (groups.get(group) ?? 0) + us);
    if (group === 'idle' || group.startsWith('the profiler')) continue;
    const name = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => `${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`);
  return { groups: top(groups, 10), functions: top(functions, 12) };
};

const run = async () => {
  const nodeCount = envInt('BENCH_NODES', 200);
  const concurrency = envInt('BENCH_CONCURRENCY', 50);
  const profileDir = process.env.BENCH_PROFILE_DIR;
  const bench = await setUpFanout({ nodes: nodeCount, concurrency });
  const { logger } = captureLogger([], 'info');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  const closers: (() => Promise<void>)[] = [];
  try {
    const { config, storage, repo } = bench;
    const make = async (workDir: string, shareBundles: boolean) => {
      const spans: Span[] = [];
      const cfg: Config = { ...config, fleet: { ...config.fleet, workDir } };
      const repoCfg = cfg.repo as NonNullable<Config['repo']>;
      const mirror = await openMirror({
        url: repoCfg.url,
        dir: repoCfg.mirrorDir ?? join(bench.dir, 'mirror'),
        track: { branch: repoCfg.branch },
        logger,
        env: cfg.childEnv,
      });
      const transport = configTransport(cfg, logger);
      const shared = shareBundles ? new Map<string, Promise<Buffer>>() : undefined;
      const service = createFleetService({
        repo: instrumentRepo(mirror, spans, shared),
        transport: instrumentTransport(transport, spans),
        fleet: cfg.fleet,
        puppet: cfg.puppet,
        applied: storage.store<AppliedState>('applied'),
        runCommand: async () => '',
        clock: systemClock,
        logger,
      });
      closers.push(async () => {
        await transport.close();
        mirror.close();
      });
      const nodes = service.nodes();
      return {
        mirror,
        async noop(label: string, sha: string, profile = false) {
          spans.length = 0;
          shared?.clear();
          if (profile) await session.post('Profiler.start');
          const { value, wallS, cpu } = await measure(async () => service.run(sha, nodes, 'noop', 'bench'));
          const profiled = profile ? (await session.post('Profiler.stop')).profile : undefined;
          const sent = checkHeckler(value, nodes.length);
          const ofKind = (kind: Span['kind']) => spans.filter((span) => span.kind === kind);
          const describe = (kind: Span['kind']) => {
            const list = ofKind(kind);
            if (list.length === 0) return undefined;
            const durations = list.map((span) => span.end - span.start);
            const sum = durations.reduce((a, b) => a + b, 0);
            return `${kind} ×${list.length}: median ${f1(median(durations))} ms, sum ${f1(sum / 1000)} s, busy ${f1(covered(list) / 1000)} s of the wall`;
          };
          out(
            `${label}: wall ${wallS.toFixed(2)} s; bot CPU ${f1((cpu.selfS * 1000) / nodeCount)} ms/node + git ${f1((cpu.childrenS * 1000) / nodeCount)} ms/node; bundles sent ${(sent / nodeCount).toFixed(0)} B/node; machine ${f1(cpu.machineBusyS)} CPU-s`,
          );
          for (const kind of ['bundle', 'one-trip', 'probe', 'checkout', 'processor', 'puppet'] as const) {
            const line = describe(kind);
            if (line) out(`    ${line}`);
          }
          if (profiled) {
            if (profileDir)
              writeFileSync(
                join(profileDir, `${label.replace(/\W+/g, '-')}.cpuprofile`),
                JSON.stringify(profiled),
              );
            const { groups, functions } = summarize(profiled);
            out('    bot CPU profile, self time by origin:');
            for (const line of groups) out(`      ${line}`);
            out('    top functions (self time):');
            for (const line of functions) out(`      ${line}`);
          }
        },
      };
    };

    out(`profile: ${nodeCount} nodes, concurrency ${concurrency}, stand-in puppet (see bench/fanout.ts)`);
    out('A. shipped engine (bundle() called once per node that lacks the commit)');
    const shipped = await make('/data/heckler', false);
    await shipped.noop('cold (full bundles, connect, processor install)', repo.commits.fixed);
    await shipped.noop('steady (commit already on the nodes)', repo.commits.fixed, true);
    await shipped.noop('incremental (new commit)', newCommit(repo), true);

    out();
    out('B. what-if: bundle() shared by the nodes asking for the same (sha, haves) within one run');
    const sharing = await make('/data/heckler-shared', true);
    await sharing.noop('cold (full bundles, connect, processor install)', gitIn(repo, ['rev-parse', 'HEAD']));
    await sharing.noop('incremental (new commit)', newCommit(repo), true);

    out();
    out('C. pieces in isolation (bot side, idle nodes)');
    const head = gitIn(repo, ['rev-parse', 'HEAD']);
    const previous = gitIn(repo, ['rev-parse', 'HEAD~1']);
    await shipped.mirror.fetch();
    const bundleTimes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      await shipped.mirror.bundle(head, [previous]);
      bundleTimes.push(performance.now() - start);
    }
    out(
      `  mirror.bundle(new commit, [its parent]) one after another: median ${f1(median(bundleTimes))} ms per call`,
    );
    const concurrent = await measure(() =>
      Promise.all(Array.from({ length: 50 }, () => shipped.mirror.bundle(head, [previous]))),
    );
    out(
      `  50 such calls at once (as 50 node workers do): ${concurrent.wallS.toFixed(2)} s → ${f1((concurrent.wallS * 1000) / 50)} ms per bundle (serialized by the mirror's write queue)`,
    );
    // Each bundle runs update-ref, bundle create --quiet, update-ref -d in the write queue: none prints anything.
    const git = createGitRunner({
      gitDir: join(bench.dir, 'mirror'),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      idleTimeoutMs: 60_000,
      signal: new AbortController().signal,
    });
    const timeEach = async (task: () => Promise<unknown>) => {
      const times: number[] = [];
      for (let i = 0; i < 10; i++) {
        const start = performance.now();
        await task();
        times.push(performance.now() - start);
      }
      return f1(median(times));
    };
    const scratch = 'refs/heckler/bench-probe';
    out(
      `  one git command through the mirror's GitRunner (simple-git): rev-parse (prints a line) ${await timeEach(() => git.run(['rev-parse', head]))} ms, update-ref (prints nothing) ${await timeEach(() => git.run(['update-ref', scratch, head]))} ms; update-ref by execFile ${await timeEach(() => execGit(['--git-dir', join(bench.dir, 'mirror'), 'update-ref', scratch, head]))} ms`,
    );
    await git.run(['update-ref', '-d', scratch]);
    const mirrorDir = join(bench.dir, 'mirror');
    const direct = (...args: string[]) => execGit(['--git-dir', mirrorDir, ...args]);
    const file = join(bench.dir, 'probe.bundle');
    out(
      `  the same 5 git commands as one mirror.bundle(), by execFile: ${await timeEach(async () => {
        await direct('rev-parse', '--verify', '--quiet', `${previous}^{commit}`);
        await direct('merge-base', '--is-ancestor', previous, head).catch(() => undefined);
        await direct('update-ref', scratch, head);
        await direct('bundle', 'create', '--quiet', file, scratch, `^${previous}`);
        await direct('update-ref', '-d', scratch);
      })} ms per bundle (vs the median above through simple-git)`,
    );
    const node = bench.fleet.nodes[0];
    if (node) {
      const { readFileSync } = await import('node:fs');
      const report = readFileSync(join(node.dataDir, 'bench-puppet', 'report.json'), 'utf8');
      const stdout = readFileSync(join(node.dataDir, 'bench-puppet', 'stdout'), 'utf8');
      const nonce = 'a1b2c3d4e5f6a1b2c3d4e5f6';
      const result: ExecResult = {
        node: node.name,
        status: 'ok',
        exitCode: 0,
        stdout: `${stdout}\n@@HECKLER-REPORT ${nonce} exit=0@@\n${report}\n@@HECKLER-REPORT ${nonce} end@@\n`,
        stderr: '',
        durationMs: 1,
      };
      const parse = await measure(async () => {
        for (let i = 0; i < nodeCount; i++)
          normalizeRun(interpretExec(result, nonce), {
            node: node.name,
            checkout: '/data/heckler/checkout',
            certname: node.certname,
          });
      });
      out(
        `  markers + reduced-report parse + normalization of the canned output: ${f1((parse.cpu.selfS * 1e6) / nodeCount)} µs per node`,
      );
    }
  } finally {
    for (const close of closers) await close();
    session.disconnect();
    await bench.close();
  }
};

await run();
