import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerPool } from '../../../src/adapters/docker/pool.js';
import { startDocker, type TestDocker } from '../../support/docker.js';
import { type BuildHarness, createHarness, newBuild, pipeline, stage } from './harness.js';

let near: TestDocker;
let far: TestDocker;
let harness: BuildHarness;

beforeAll(async () => {
  [near, far] = await Promise.all([startDocker(), startDocker({ tcp: true })]);
  harness = await createHarness(near);
});

afterAll(async () => {
  await harness?.close();
  await Promise.all([near?.stop(), far?.stop()]);
});

describe('builds over several Docker hosts', () => {
  it('spreads builds over a unix-socket host and a tcp host by their capacity', async () => {
    const tcpAddress = far.tcpAddress ?? '';
    const hosts = createDockerPool({
      hosts: [
        { address: near.address, capacity: 1 },
        { address: tcpAddress, capacity: 1 },
      ],
    });
    const queue = harness.queue({ hosts, limits: { global: 5, perRepo: 5 } });
    const build = newBuild(pipeline([stage('where', ['echo "$HECKLER_BUILD_ID"', 'sleep 1'])]));
    const ids = [
      (await queue.enqueue(build)).id,
      (await queue.enqueue(build)).id,
      (await queue.enqueue(build)).id,
    ];

    expect(queue.running()).toHaveLength(2);
    expect(queue.waiting()).toEqual([ids[2]]);
    await queue.idle();
    const records = await Promise.all(ids.map((id) => harness.records.get(id)));
    expect(records.map((record) => record?.status)).toEqual(['passed', 'passed', 'passed']);
    expect(new Set(records.slice(0, 2).map((record) => record?.host))).toEqual(
      new Set([near.address, tcpAddress]),
    );
  });
});
