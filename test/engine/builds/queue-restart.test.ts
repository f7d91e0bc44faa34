import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildQueue } from '../../../src/engine/builds/queue.js';
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
const harnesses: BuildHarness[] = [];

beforeAll(async () => {
  docker = await useDocker();
});

afterAll(async () => {
  for (const harness of harnesses) await harness.close().catch(() => undefined);
  await docker?.stop();
});

/** One bot process: its own connection to the shared store, and its own queue. */
const boot = async (keyPrefix?: string) => {
  const harness = await createHarness(docker, keyPrefix ? { keyPrefix } : {});
  harnesses.push(harness);
  return { harness, queue: harness.queue() };
};

/** The process dies: its store connection goes, so nothing it does afterwards is recorded. */
const crash = (harness: BuildHarness) => harness.storage.close();

const runningStage = (harness: BuildHarness, id: number) =>
  eventually(async () => {
    const record = await harness.records.get(id);
    if (!record?.containerId || !record.stages[0]?.startedAt) return undefined;
    const top = await docker.docker.getContainer(record.containerId).top();
    return JSON.stringify(top.Processes).includes('sleep') ? record : undefined;
  });

const labelled = (harness: BuildHarness, id: number) =>
  docker.docker.listContainers({
    all: true,
    filters: { label: [`heckler.build=${id}`, `heckler.instance=${harness.instance}`] },
  });

describe('restart with a build running', () => {
  it('marks it interrupted, queues it exactly once more, and removes its container', async () => {
    const first = await boot();
    // Stays in its first stage until the container is removed under it.
    const definition = pipeline([stage('long', ['sleep 30'])]);
    const original = await first.queue.enqueue(
      newBuild(definition, { trigger: { kind: 'push', by: 'alice' } }),
    );
    const before = await runningStage(first.harness, original.id);
    await crash(first.harness);

    const second = await boot(first.harness.instance);
    const reconciled = await second.queue.reconcile();
    expect(reconciled.interrupted).toEqual([original.id]);
    const [[from, retryId] = []] = reconciled.requeued;
    expect(from).toBe(original.id);
    if (retryId === undefined) throw new Error('not requeued');
    expect(await second.harness.hosts.all()[0]?.inspect(before.containerId ?? '')).toBeUndefined();
    expect(await second.harness.records.get(original.id)).toMatchObject({
      status: 'interrupted',
      requeuedAs: retryId,
      error: 'the bot restarted while this build ran',
      stages: [{ key: 'long', status: 'cancelled', reason: 'interrupted by a restart of the bot' }],
    });

    // The repeat runs on the new process, and is itself interrupted by a second restart.
    const retry = await runningStage(second.harness, retryId);
    expect(retry).toMatchObject({
      status: 'running',
      requeued: true,
      retryOf: original.id,
      trigger: { kind: 'retry', by: `restart (build ${original.id} was interrupted)` },
    });
    await crash(second.harness);

    const third = await boot(first.harness.instance);
    const again = await third.queue.reconcile();
    expect(again).toEqual({ interrupted: [retryId], requeued: [], resumed: [] });
    expect(await third.harness.records.get(retryId)).toMatchObject({ status: 'interrupted' });
    expect((await third.harness.records.get(retryId))?.requeuedAs).toBeUndefined();
    expect(await labelled(third.harness, retryId)).toEqual([]);
    expect(await third.harness.records.list({ status: ['queued', 'running'] })).toEqual([]);

    // Reconciling once more finds nothing left to do.
    expect(await third.queue.reconcile()).toEqual({ interrupted: [], requeued: [], resumed: [] });
    await settle([first.queue, second.queue, third.queue]);
  });

  it('resumes builds still queued when the bot stopped, in their order', async () => {
    const first = await boot();
    const blocker = first.harness.queue({ limits: { global: 1, perRepo: 1 } });
    const running = await blocker.enqueue(newBuild(pipeline([stage('long', ['sleep 30'])])));
    const a = await blocker.enqueue(newBuild(pipeline([stage('a', ['true'])])));
    const b = await blocker.enqueue(newBuild(pipeline([stage('b', ['true'])])));
    await runningStage(first.harness, running.id);
    await crash(first.harness);

    const second = await boot(first.harness.instance);
    const reconciled = await second.queue.reconcile();
    expect(reconciled.resumed).toEqual([a.id, b.id]);
    expect(reconciled.interrupted).toEqual([running.id]);
    // Its repeat would sleep again; this test is about the queued ones.
    for (const [, retry] of reconciled.requeued) await second.queue.kill(retry, 'test');
    await second.queue.idle();
    const statuses = await Promise.all([a.id, b.id].map((id) => second.harness.records.get(id)));
    expect(statuses.map((record) => record?.status)).toEqual(['passed', 'passed']);
    await settle([blocker, first.queue, second.queue]);
  });

  it("keeps a fork's pull request untrusted when it is queued once more", async () => {
    const first = await boot();
    const trigger = { kind: 'pull_request' as const, by: 'PR #13 by @mallory', untrusted: true };
    const original = await first.queue.enqueue(
      newBuild(pipeline([stage('long', ['sleep 30'])]), { trigger }),
    );
    await runningStage(first.harness, original.id);
    await crash(first.harness);

    const second = await boot(first.harness.instance);
    const [[, retryId] = []] = (await second.queue.reconcile()).requeued;
    expect((await second.harness.records.get(retryId ?? 0))?.trigger).toEqual({
      kind: 'retry',
      by: `restart (build ${original.id} was interrupted)`,
      untrusted: true,
    });
    await second.queue.kill(retryId ?? 0, 'test');
    await settle([first.queue, second.queue]);
  });
});

/** The dead processes' runners end once their containers are gone; let them, so nothing leaks. */
const settle = (queues: BuildQueue[]) => Promise.all(queues.map((queue) => queue.close()));
