import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDockerPool } from '../src/adapters/docker/pool.js';
import { createBuildLogs, type StageLog } from '../src/engine/builds/log.js';
import type { Pipeline } from '../src/engine/builds/pipeline.js';
import { createBuildQueue } from '../src/engine/builds/queue.js';
import { type BuildRecord, createBuildRecords } from '../src/engine/builds/records.js';
import { systemClock } from '../src/engine/ports/index.js';
import { createStorage } from '../src/storage/keyv.js';
import { makeTree, TEST_IMAGE, useDocker } from '../test/support/docker.js';
import { captureLogger } from '../test/support/logger.js';
import { median, targetLine } from './support/measure.js';

/**
 * `npm run bench -- build` (DESIGN.md §7): a 5-stage build of trivial commands through Heckler's
 * queue and runner (dockerode: image check, container, tree copied in, five `sh -e -c` execs with
 * their output captured and stored, records saved, container removed) against the same stages
 * driven with the docker CLI (`docker run -d … sleep`, `docker cp` of the same tree, one
 * `docker exec` per stage, `docker rm -f`) on the same engine, alternating, in one run.
 *
 * Engine: HECKLER_TEST_DOCKER_HOST when set, else a private dockerd (test/support/docker.ts).
 * Knobs: BENCH_RUNS (15 measured builds per side, after 2 warm-ups each).
 */
const TARGET = 1.2;
const STAGES = [['true'], ['echo building'], ['true'], ['echo testing', 'true'], ['echo done']];
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARMUP = 2;

const out = (line = '') => process.stdout.write(`${line}\n`);

const definition: Pipeline = {
  name: 'default',
  image: TEST_IMAGE,
  env: {},
  branches: 'ALL',
  workdir: '/build',
  stages: STAGES.map((script, index) => ({ name: `stage${index + 1}`, script, env: {} })),
  notify: {},
};

const docker = (host: string, args: readonly string[], input?: Buffer): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn('docker', ['-H', host, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout.trim()) : reject(new Error(`docker ${args[0]} exited ${code}: ${stderr}`)),
    );
    child.stdin.end(input);
  });

/** The same build by hand with the docker CLI: what an operator's shell script would do. */
const cliBuild = async (host: string, tree: Buffer): Promise<void> => {
  const id = await docker(host, [
    'run',
    '-d',
    '--network',
    'none',
    '-w',
    '/build',
    '--label',
    'bench=cli',
    TEST_IMAGE,
    'sleep',
    '3600',
  ]);
  try {
    await docker(host, ['cp', '-', `${id}:/build`], tree);
    for (const script of STAGES) {
      await docker(host, ['exec', '-w', '/build', id, 'sh', '-e', '-c', script.join('\n')]);
    }
  } finally {
    await docker(host, ['rm', '-f', id]);
  }
};

export const run = async (): Promise<void> => {
  const engine = await useDocker();
  const dataDir = mkdtempSync(join(tmpdir(), 'hk-bench-build-'));
  const storage = await createStorage({ dataDir, keyPrefix: 'bench-build' });
  try {
    const tree = makeTree({ 'README.md': 'bench\n', 'src/app.sh': 'echo app\n' });
    const records = createBuildRecords({
      records: storage.store<BuildRecord>('builds'),
      counter: storage.store<number>('build-seq'),
      clock: systemClock,
    });
    const queue = createBuildQueue({
      records,
      logs: createBuildLogs(storage.store<StageLog>('build-logs')),
      hosts: createDockerPool({ hosts: [{ address: engine.address, capacity: 1 }] }),
      limits: { global: 1, perRepo: 1 },
      clock: systemClock,
      logger: captureLogger([], 'warn').logger,
      instance: 'bench-build',
      tree: async () => tree,
    });
    const heckler = async () => {
      const queued = await queue.enqueue({
        repo: 'bench/build',
        branch: 'main',
        sha: 'b'.repeat(40),
        definition,
        commit: { message: 'bench', changedFiles: [] },
        trigger: { kind: 'command', by: 'bench' },
      });
      await queue.idle();
      const done = await records.get(queued.id);
      if (done?.status !== 'passed')
        throw new Error(`build ${queued.id} ended ${done?.status}: ${done?.error ?? ''}`);
    };
    const cli = () => cliBuild(engine.address, tree);
    const timed = async (task: () => Promise<void>) => {
      const started = performance.now();
      await task();
      return performance.now() - started;
    };

    out(`build benchmark: ${STAGES.length} stages of trivial commands in ${TEST_IMAGE} on ${engine.address}`);
    out(`${WARMUP} warm-up builds per side, then ${RUNS} measured, alternating Heckler and the docker CLI`);
    for (let i = 0; i < WARMUP; i++) {
      await heckler();
      await cli();
    }
    const samples = { heckler: [] as number[], cli: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      samples.heckler.push(await timed(heckler));
      samples.cli.push(await timed(cli));
    }
    await queue.close();
    const show = (values: number[]) =>
      `median ${median(values).toFixed(0)} ms (min ${Math.min(...values).toFixed(0)}, max ${Math.max(...values).toFixed(0)})`;
    const ratio = median(samples.heckler) / median(samples.cli);
    out();
    out(`Heckler (queue + runner, dockerode):        ${show(samples.heckler)}`);
    out(`docker CLI (run -d, cp, 5× exec, rm -f):     ${show(samples.cli)}`);
    out(
      `ratio Heckler / CLI: ${ratio.toFixed(2)}× (target ≤ ${TARGET}×) — ${ratio <= TARGET ? 'within target' : 'OVER TARGET'}`,
    );
    out(
      'Both sides: wall time from asking for the build to the container being gone; same image, tree and stages.',
    );
    out('Heckler also records the build and each stage, and captures, masks and stores every stage log.');
    out(targetLine('build/cli', ratio, { op: '≤', limit: TARGET, unit: '×' }));
    if (ratio > TARGET) process.exitCode = 1;
  } finally {
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
    await engine.stop();
  }
};
