import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipelineFile } from '../../../src/engine/builds/pipeline.js';
import type { BuildRecord } from '../../../src/engine/builds/records.js';
import type { ResourcePolicy } from '../../../src/engine/builds/runner-limits.js';
import {
  type BuildHarness,
  createHarness,
  newBuild,
  pipeline,
  stage,
} from '../../adapters/docker/harness.js';
import { TEST_IMAGE, type TestDocker, useDocker } from '../../support/docker.js';

let docker: TestDocker;
let harness: BuildHarness;

beforeAll(async () => {
  docker = await useDocker();
  harness = await createHarness(docker);
});

afterAll(async () => {
  await harness?.close();
  await docker?.stop();
});

const MiB = 1024 ** 2;

/** Small limits so the attacks end in seconds; a minute per build so a busy machine's slow start is no timeout. */
const policy: ResourcePolicy = {
  defaults: { memoryBytes: 64 * MiB, cpus: 1, pids: 64, timeoutMs: 60_000 },
  max: { memoryBytes: 256 * MiB, cpus: 2, pids: 256, timeoutMs: 120_000 },
  repos: { 'hostile/sleep': { timeoutMs: 2_000 } },
};

/** The container's own cgroup limits, as a build sees them (cgroup v2 first, then v1). */
const readLimits = [
  'mem=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)',
  'pids=$(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max)',
  'echo "memory=$mem pids=$pids"',
];

/**
 * Runs before each attack and fails the build unless the limits are in force: without them a fork
 * bomb or a 10 GiB allocation would hit the machine running the tests, not the container.
 */
const guard = stage('guard', [...readLimits, '[ "$mem" = 67108864 ] && [ "$pids" = 64 ]']);

const containersOf = (build: BuildRecord) =>
  docker.docker.listContainers({
    all: true,
    filters: { label: [`heckler.build=${build.id}`, `heckler.instance=${harness.instance}`] },
  });

describe('build containers under attack', () => {
  it('a fork bomb, a 10 GiB allocation and sleep infinity each fail plainly; another build passes', async () => {
    const queue = harness.queue({ resources: policy, limits: { global: 4, perRepo: 4 } });
    const started = Date.now();
    const attack = (repo: string, name: string, script: string[]) =>
      queue.enqueue(newBuild(pipeline([guard, stage(name, script)]), { repo }));
    const ids = await Promise.all([
      attack('hostile/bomb', 'bomb', ['bomb() { bomb | bomb; }', 'bomb']),
      attack('hostile/hog', 'hog', ['x=$(head -c 10737418240 /dev/zero | tr "\\0" x)', 'echo survived']),
      attack('hostile/sleep', 'sleep', ['echo sleeping', 'sleep infinity']),
      queue.enqueue(newBuild(pipeline([stage('work', ['echo fine'])]), { repo: 'team/ordinary' })),
    ]);
    await queue.idle();
    const [bomb, hog, sleeper, ordinary] = await Promise.all(ids.map((b) => harness.records.get(b.id)));

    expect(bomb?.stages.map((s) => s.status)).toEqual(['passed', 'failed']);
    expect(bomb?.status).toBe('failed');
    expect(bomb?.stages[1]?.reason).toMatch(/^exited with code \d+: pids limit reached \(limit 64\)$/);
    expect(bomb?.error).toBe(`stage bomb: ${bomb?.stages[1]?.reason}`);

    expect(hog).toMatchObject({ status: 'failed', error: 'stage hog: killed: out of memory (limit 64 MiB)' });
    expect(hog?.stages[1]).toMatchObject({
      status: 'failed',
      exitCode: 137,
      reason: 'killed: out of memory (limit 64 MiB)',
    });

    expect(sleeper).toMatchObject({
      status: 'timed_out',
      error: expect.stringMatching(/the build timeout of 2s was reached$/),
    });
    expect(ordinary?.status).toBe('passed');
    expect(await harness.logs.read(ordinary?.id ?? 0, 'work')).toBe('fine\n');
    // All four within the test's time, and every container is gone.
    expect(Date.now() - started).toBeLessThan(25_000);
    for (const build of [bomb, hog, sleeper, ordinary]) {
      if (build) expect(await containersOf(build)).toEqual([]);
    }
  });
});

describe('resources asked for in ocelot.yml', () => {
  const parse = (yaml: string) => {
    const parsed = parsePipelineFile(yaml);
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const [definition] = parsed.pipelines;
    if (!definition) throw new Error('no pipeline');
    return definition;
  };

  it('applies what the file asks for within the maxima', async () => {
    const definition = parse(
      [
        `image: ${TEST_IMAGE}`,
        'resources: { memory: 128m, pids: 100 }',
        'stages:',
        `  - { name: limits, script: ${JSON.stringify(readLimits)} }`,
      ].join('\n'),
    );
    const build = await harness.run(newBuild(definition), { resources: policy });

    expect(build.status).toBe('passed');
    expect(await harness.logs.read(build.id, 'limits')).toBe(`memory=${128 * MiB} pids=100\n`);
  });

  it('refuses a build whose ocelot.yml asks for more than the maxima, naming the key and the maximum', async () => {
    const definition = parse(
      [
        `image: ${TEST_IMAGE}`,
        'timeout: 5m',
        'resources: { memory: 1g, cpus: 2, pids: 300 }',
        'stages: [{ name: a, script: ["true"] }]',
      ].join('\n'),
    );
    const build = await harness.run(newBuild(definition), { resources: policy });

    expect(build.status).toBe('error');
    expect(build.error).toBe(
      [
        'ocelot.yml asks for more than this bot allows:',
        'resources.memory: 1 GiB is above the maximum of 256 MiB (builds.resources.max.memory);',
        'resources.pids: 300 is above the maximum of 256 (builds.resources.max.pids);',
        'timeout: 5m is above the maximum of 2m (builds.resources.max.timeout).',
        'Ask for less in ocelot.yml, or ask an admin to raise the maximum in heckler.yml',
      ].join(' '),
    );
    expect(build.containerId).toBeUndefined();
    expect(build.stages[0]).toMatchObject({ status: 'not_run', startedAt: null });
  });
});
