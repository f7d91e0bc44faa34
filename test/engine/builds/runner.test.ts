import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerPool } from '../../../src/adapters/docker/pool.js';
import { buildLogText } from '../../../src/engine/builds/log.js';
import { parsePipelineFile } from '../../../src/engine/builds/pipeline.js';
import type { BuildRecord } from '../../../src/engine/builds/records.js';
import {
  type BuildHarness,
  createHarness,
  eventually,
  newBuild,
  pipeline,
  stage,
} from '../../adapters/docker/harness.js';
import { type TestDocker, useDocker } from '../../support/docker.js';

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

const containersOf = (build: BuildRecord) =>
  docker.docker.listContainers({
    all: true,
    filters: { label: [`heckler.build=${build.id}`, `heckler.instance=${harness.instance}`] },
  });

const logOf = (build: BuildRecord, key: string) => harness.logs.read(build.id, key);

describe('build runner on a real Docker engine', () => {
  it('runs a passing 3-stage build: files persist, env layers, workdir honored', async () => {
    const definition = pipeline(
      [
        stage('prepare', [
          'echo "$GREETING from $HECKLER_BRANCH at $HECKLER_SHA"',
          'pwd',
          'mkdir -p out',
          'echo one > out/file',
        ]),
        stage('build', ['cat out/file', 'echo "level=$LEVEL"', 'cat README.md'], { env: { LEVEL: 'stage' } }),
        stage('check', ['echo "level=$LEVEL ci=$CI stage=$HECKLER_STAGE"', 'sh src/app.sh']),
      ],
      { env: { GREETING: 'hello', LEVEL: 'pipeline' }, workdir: '/work/src' },
    );
    const build = await harness.run(newBuild(definition, { sha: 'b'.repeat(40) }));

    expect(build).toMatchObject({
      status: 'passed',
      repo: 'infra/api',
      pipeline: 'default',
      trigger: { kind: 'command', by: 'U123' },
      host: docker.address,
    });
    expect(build.stages.map((s) => [s.key, s.status, s.exitCode])).toEqual([
      ['prepare', 'passed', 0],
      ['build', 'passed', 0],
      ['check', 'passed', 0],
    ]);
    expect(build.waitMs).toBeGreaterThanOrEqual(0);
    expect(build.finishedAt).toBeGreaterThanOrEqual(build.startedAt ?? Number.NaN);
    for (const row of build.stages) expect(row.durationMs).toBeGreaterThanOrEqual(0);
    expect(await logOf(build, 'prepare')).toBe(`hello from main at ${'b'.repeat(40)}\n/work/src\n`);
    expect(await logOf(build, 'build')).toBe('one\nlevel=stage\nhello from the repo\n');
    expect(await logOf(build, 'check')).toBe('level=pipeline ci=true stage=check\napp\n');
    expect(await containersOf(build)).toEqual([]);
  });

  it('stops at a failing stage: its exit code is recorded, later stages are not run', async () => {
    const definition = pipeline([
      stage('test', ['echo before', 'exit 3', 'echo never']),
      stage('deploy', ['echo deploying']),
    ]);
    const build = await harness.run(newBuild(definition));

    expect(build.status).toBe('failed');
    expect(build.stages).toMatchObject([
      { key: 'test', status: 'failed', exitCode: 3, reason: 'exited with code 3' },
      { key: 'deploy', status: 'not_run', exitCode: null, startedAt: null, reason: 'stage test failed' },
    ]);
    expect(await logOf(build, 'test')).toBe('before\n');
    expect(await logOf(build, 'deploy')).toBeUndefined();
    expect(await containersOf(build)).toEqual([]);
  });

  it('records a stage whose trigger is not met as skipped, and runs the rest', async () => {
    const parsed = parsePipelineFile(
      [
        'image: heckler-test/busybox:1',
        'stages:',
        '  - name: build',
        '    script: [echo built]',
        '  - name: deploy',
        '    triggers: ["branch: release"]',
        '    script: [echo deployed]',
        '  - name: build',
        '    script: [echo again]',
      ].join('\n'),
    );
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const [definition] = parsed.pipelines;
    if (!definition) throw new Error('no pipeline');
    const build = await harness.run(newBuild(definition, { branch: 'main' }));

    expect(build.status).toBe('passed');
    expect(build.stages).toMatchObject([
      { key: 'build', status: 'passed' },
      { key: 'deploy', status: 'skipped', exitCode: null, reason: 'trigger not met: branch: release' },
      { key: 'build#2', name: 'build', status: 'passed' },
    ]);
    expect(await logOf(build, 'build#2')).toBe('again\n');
    expect(await logOf(build, 'deploy')).toBeUndefined();
    expect(await buildLogText(harness.logs, build)).toBe(
      [
        '== build (passed) ==',
        'built',
        '== deploy (skipped) ==',
        '(no output: trigger not met: branch: release)',
        '== build#2 (passed) ==',
        'again',
        '',
      ].join('\n'),
    );
    expect(await buildLogText(harness.logs, build, 'build#2')).toBe('== build#2 (passed) ==\nagain\n');
    await expect(buildLogText(harness.logs, build, 'test')).rejects.toThrow(
      `build ${build.id} has no stage 'test'; its stages are build, deploy, build#2`,
    );
    expect(await buildLogText(harness.logs, build)).toBe(
      [
        '== build (passed) ==',
        'built',
        '== deploy (skipped) ==',
        '(no output: trigger not met: branch: release)',
        '== build#2 (passed) ==',
        'again',
        '',
      ].join('\n'),
    );
    expect(await buildLogText(harness.logs, build, 'build#2')).toBe('== build#2 (passed) ==\nagain\n');
    await expect(buildLogText(harness.logs, build, 'test')).rejects.toThrow(
      `build ${build.id} has no stage 'test'; its stages are build, deploy, build#2`,
    );
  });

  it('ends a stage at its timeout: timed_out, later stages not run, container gone', async () => {
    const definition = pipeline([
      stage('slow', ['echo start', 'sleep 1', 'echo never'], { timeoutMs: 300 }),
      stage('after', ['echo after']),
    ]);
    const build = await harness.run(newBuild(definition));

    expect(build.status).toBe('timed_out');
    expect(build.error).toBe('stage slow: the stage timeout of 300ms was reached');
    expect(build.stages).toMatchObject([
      { key: 'slow', status: 'timed_out', exitCode: null, reason: 'the stage timeout of 300ms was reached' },
      { key: 'after', status: 'not_run' },
    ]);
    expect(await logOf(build, 'slow')).toBe('start\n');
    expect(await containersOf(build)).toEqual([]);
  });

  it('ends the build at the build timeout', async () => {
    // The build's clock includes starting the container, so leave room for a busy machine.
    const definition = pipeline(
      [stage('one', ['echo one']), stage('two', ['sleep 1', 'sleep 1', 'sleep 1'])],
      {
        timeoutMs: 2_000,
      },
    );
    const build = await harness.run(newBuild(definition));

    expect(build.status).toBe('timed_out');
    expect(build.error).toBe('stage two: the build timeout of 2s was reached');
    expect(build.stages.map((s) => s.status)).toEqual(['passed', 'timed_out']);
  });

  it('kills a running build within seconds: cancelled, who recorded, container gone', async () => {
    const queue = harness.queue();
    const queued = await queue.enqueue(newBuild(pipeline([stage('wait', ['echo waiting', 'sleep 60'])])));
    const running = await eventually(async () => {
      const record = await harness.records.get(queued.id);
      return record?.stages[0]?.startedAt && record.containerId ? record : undefined;
    });
    // The stage is under way once its `sleep 60` shows in the container's process list.
    await eventually(async () => {
      const top = await docker.docker.getContainer(running.containerId ?? '').top();
      return JSON.stringify(top.Processes).includes('sleep 60') ? true : undefined;
    });

    const asked = Date.now();
    const build = await queue.kill(queued.id, 'U999');
    expect(Date.now() - asked).toBeLessThan(5_000);

    expect(build).toMatchObject({ status: 'cancelled', killedBy: 'U999' });
    expect(build.stages[0]).toMatchObject({ status: 'cancelled', reason: 'killed by U999' });
    expect(await harness.records.get(queued.id)).toMatchObject({ status: 'cancelled', killedBy: 'U999' });
    expect(await logOf(build, 'wait')).toBe('waiting\n');
    const runtime = harness.hosts.all()[0];
    expect(await runtime?.inspect(running.containerId ?? '')).toBeUndefined();
    expect(await containersOf(build)).toEqual([]);
  });

  it('says plainly when the image is missing and cannot be pulled', async () => {
    const build = await harness.run(newBuild(pipeline([stage('a', ['true'])], { image: 'busybox:9' })));

    expect(build.status).toBe('error');
    expect(build.error).toMatch(
      /^image busybox:9 is not on the Docker host unix:\/\/\S+ and could not be pulled: .*registry-1\.docker\.io/,
    );
    expect(build.stages[0]).toMatchObject({ status: 'not_run', startedAt: null });
    expect(build.containerId).toBeUndefined();
  });

  it('says plainly when the Docker engine is down', async () => {
    const hosts = createDockerPool({ hosts: [{ address: 'unix:///nonexistent/docker.sock', capacity: 1 }] });
    const build = await harness.run(newBuild(pipeline([stage('a', ['true'])])), { hosts });

    expect(build.status).toBe('error');
    expect(build.error).toMatch(
      /^the Docker engine at unix:\/\/\/nonexistent\/docker\.sock is not answering \(/,
    );
    expect(build.host).toBe('unix:///nonexistent/docker.sock');
  });
});
