import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  harness = await createHarness(docker, { capacity: 3 });
});

afterAll(async () => {
  await harness?.close();
  await docker?.stop();
});

const sleepy = (repo = 'infra/api') => newBuild(pipeline([stage('sleep', ['sleep 1'])]), { repo });

const finished = async (ids: number[]): Promise<BuildRecord[]> =>
  Promise.all(
    ids.map(async (id) => {
      const record = await harness.records.get(id);
      if (!record) throw new Error(`no build ${id}`);
      return record;
    }),
  );

describe('build queue on a real Docker engine', () => {
  it('holds the third build while two run under a global limit of 2, and records its wait', async () => {
    const queue = harness.queue({ limits: { global: 2, perRepo: 5 } });
    const a = await queue.enqueue(sleepy());
    const b = await queue.enqueue(sleepy('infra/web'));
    const c = await queue.enqueue(sleepy('infra/db'));

    expect(queue.running()).toEqual([a.id, b.id]);
    expect(queue.waiting()).toEqual([c.id]);
    expect(await harness.records.get(c.id)).toMatchObject({ status: 'queued', startedAt: null });

    await queue.idle();
    const [first, second, third] = await finished([a.id, b.id, c.id]);
    expect([first?.status, second?.status, third?.status]).toEqual(['passed', 'passed', 'passed']);
    expect(third?.waitMs).toBeGreaterThan(0);
    // It started only once one of the first two had finished.
    expect(third?.startedAt).toBeGreaterThanOrEqual(
      Math.min(first?.finishedAt ?? 0, second?.finishedAt ?? 0),
    );
  });

  it('limits builds per repository without holding up other repositories', async () => {
    const queue = harness.queue({ limits: { global: 5, perRepo: 1 } });
    const a = await queue.enqueue(sleepy('infra/api'));
    const b = await queue.enqueue(sleepy('infra/api'));
    const c = await queue.enqueue(sleepy('infra/web'));

    expect(queue.running()).toEqual([a.id, c.id]);
    expect(queue.waiting()).toEqual([b.id]);
    await queue.idle();
  });

  it('waits for host capacity, and starts builds in the order they were queued', async () => {
    const queue = harness.queue({ limits: { global: 10, perRepo: 10 } });
    const quick = newBuild(pipeline([stage('quick', ['true'])]));
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await queue.enqueue(quick)).id);

    // The pool was created with capacity 3 for this engine.
    expect(queue.running()).toHaveLength(3);
    await queue.idle();
    const builds = await finished(ids);
    const started = [...builds].sort((x, y) => (x.startedAt ?? 0) - (y.startedAt ?? 0) || x.id - y.id);
    expect(started.slice(3).map((build) => build.id)).toEqual(ids.slice(3));
    expect(builds.every((build) => build.status === 'passed')).toBe(true);
  });

  it('cancels a queued build on kill: it never starts, and who killed it is recorded', async () => {
    const queue = harness.queue({ limits: { global: 1, perRepo: 1 } });
    const running = await queue.enqueue(sleepy());
    const waiting = await queue.enqueue(sleepy());

    const killed = await queue.kill(waiting.id, 'U42');
    expect(killed).toMatchObject({ status: 'cancelled', killedBy: 'U42', startedAt: null });
    expect(queue.waiting()).toEqual([]);
    await queue.idle();
    expect(await harness.records.get(waiting.id)).toMatchObject({ status: 'cancelled', startedAt: null });
    expect(await harness.records.get(running.id)).toMatchObject({ status: 'passed' });
  });

  it('answers kill of a finished build with its record, and of an unknown one with NOT_FOUND', async () => {
    const queue = harness.queue();
    const build = await harness.run(newBuild(pipeline([stage('a', ['true'])])));
    expect(await queue.kill(build.id, 'U1')).toMatchObject({ status: 'passed' });
    await expect(queue.kill(99_999, 'U1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reports status changes and stage results to the progress callbacks', async () => {
    const events: string[] = [];
    const build = await harness.run(
      newBuild(
        pipeline([
          stage('one', ['true']),
          stage('two', ['true'], {
            trigger: { anyOf: [{ allOf: [{ field: 'branch', match: 'any', values: ['^(?:x)$'] }] }] },
          }),
        ]),
      ),
      {
        progress: {
          onStatus: (record) => void events.push(`status ${record.status}`),
          onStageFinished: (_, row) => {
            events.push(`stage ${row.key} ${row.status}`);
            throw new Error('a broken callback does not break the build');
          },
        },
      },
    );
    expect(build.status).toBe('passed');
    expect(events).toEqual(['status running', 'stage one passed', 'stage two skipped', 'status passed']);
    await eventually(async () =>
      harness.log.text().includes('build progress callback failed') ? true : undefined,
    );
  });
});
