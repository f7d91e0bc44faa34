import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweep } from '../../../src/engine/builds/janitor.js';
import { buildLabels } from '../../../src/engine/builds/runner.js';
import type { ContainerRuntime } from '../../../src/engine/ports/containers.js';
import {
  type BuildHarness,
  createHarness,
  newBuild,
  pipeline,
  stage,
} from '../../adapters/docker/harness.js';
import { makeTree, TEST_IMAGE, type TestDocker, useDocker } from '../../support/docker.js';

let docker: TestDocker;
let harness: BuildHarness;
let runtime: ContainerRuntime;

beforeAll(async () => {
  docker = await useDocker();
  harness = await createHarness(docker);
  const [first] = harness.hosts.all();
  if (!first) throw new Error('no runtime');
  runtime = first;
});

afterAll(async () => {
  await harness?.close();
  await docker?.stop();
});

const importImage = async (name: string, label: string) => {
  const [repo, tag] = name.split(':');
  const stream = await docker.docker.importImage(
    makeTree({ 'marker.txt': name }) as unknown as NodeJS.ReadableStream,
    {
      repo,
      tag,
      changes: `LABEL ${label}`,
    },
  );
  await new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject).resume());
};

const imageNames = async () => (await docker.docker.listImages()).flatMap((image) => image.RepoTags ?? []);

describe('janitor', () => {
  it('removes leftover build containers, and keeps those of running builds and everything not ours', async () => {
    const build = await harness.run(newBuild(pipeline([stage('a', ['true'])])));
    const leftover = await runtime.start({
      image: TEST_IMAGE,
      labels: buildLabels(build, harness.instance),
      workdir: '/build',
    });
    const active = await harness.records.create(newBuild(pipeline([stage('b', ['true'])])));
    const live = await runtime.start({
      image: TEST_IMAGE,
      labels: buildLabels(active, harness.instance),
      workdir: '/',
    });
    await harness.records.save({ ...active, status: 'running', containerId: live.id, host: runtime.host });
    const foreign = await runtime.start({
      image: TEST_IMAGE,
      labels: { purpose: 'someone else' },
      workdir: '/',
    });
    const otherBot = await runtime.start({
      image: TEST_IMAGE,
      labels: buildLabels(build, 'other-bot'),
      workdir: '/',
    });

    const report = await sweep({
      records: harness.records,
      hosts: harness.hosts,
      logger: harness.log.logger,
      instance: harness.instance,
    });

    expect(report).toEqual({ containers: [leftover.id], images: [], failures: [] });
    expect(await runtime.inspect(leftover.id)).toBeUndefined();
    for (const kept of [live, foreign, otherBot])
      expect(await runtime.inspect(kept.id)).toMatchObject({ running: true });
    for (const kept of [live, foreign, otherBot]) await runtime.remove(kept.id);
  });

  it('removes old unused images that are ours by label or by name, and nothing else', async () => {
    await importImage('heckler-test/old:1', 'heckler.janitor-test=old');
    await docker.docker.getImage(TEST_IMAGE).tag({ repo: 'heckler-test/pulled', tag: '7' });

    const report = await sweep({
      records: harness.records,
      hosts: harness.hosts,
      logger: harness.log.logger,
      instance: harness.instance,
      images: { olderThanMs: 0, label: 'heckler.janitor-test=old', names: ['heckler-test/pulled'] },
    });

    expect(report.images.sort()).toEqual(['heckler-test/old:1', 'heckler-test/pulled:7']);
    const left = await imageNames();
    expect(left).toContain(TEST_IMAGE);
    expect(left).not.toContain('heckler-test/old:1');
    expect(left).not.toContain('heckler-test/pulled:7');
  });

  it('keeps images that are in use or younger than the limit', async () => {
    await importImage('heckler-test/young:1', 'heckler.janitor-test=young');
    const user = await runtime.start({ image: TEST_IMAGE, labels: {}, workdir: '/' });
    await docker.docker.getImage(TEST_IMAGE).tag({ repo: 'heckler-test/in-use', tag: '1' });

    const removed = await runtime.removeImages({
      olderThanMs: 0,
      names: ['heckler-test/in-use:1'],
    });
    const young = await runtime.removeImages({
      olderThanMs: 60 * 60_000,
      label: 'heckler.janitor-test=young',
    });

    expect(removed).toEqual([]);
    expect(young).toEqual([]);
    expect(await imageNames()).toEqual(
      expect.arrayContaining(['heckler-test/young:1', 'heckler-test/in-use:1']),
    );
    await runtime.remove(user.id);
  });
});
