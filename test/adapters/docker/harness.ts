import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { createDockerPool } from '../../../src/adapters/docker/pool.js';
import { type BuildLogs, createBuildLogs, type StageLog } from '../../../src/engine/builds/log.js';
import type { Pipeline, Stage } from '../../../src/engine/builds/pipeline.js';
import { type BuildQueue, createBuildQueue, type QueueOptions } from '../../../src/engine/builds/queue.js';
import {
  type BuildRecord,
  type BuildRecords,
  createBuildRecords,
  type NewBuild,
} from '../../../src/engine/builds/records.js';
import { systemClock } from '../../../src/engine/ports/clock.js';
import type { ContainerHosts } from '../../../src/engine/ports/containers.js';
import { createStorage, type Storage } from '../../../src/storage/keyv.js';
import { makeTree, TEST_IMAGE, type TestDocker } from '../../support/docker.js';
import { captureLogger } from '../../support/logger.js';

/**
 * Real parts for build tests: the test Redis (own key prefix), a pool over the test engine, and a
 * queue. `instance` labels this file's containers, so files sharing an engine leave each other be.
 */
export interface BuildHarness {
  storage: Storage;
  records: BuildRecords;
  logs: BuildLogs;
  hosts: ContainerHosts;
  instance: string;
  log: ReturnType<typeof captureLogger>;
  queue(options?: Partial<QueueOptions>): BuildQueue;
  /** Enqueue, wait until the queue is idle, and return the finished record. */
  run(build: NewBuild, options?: Partial<QueueOptions>): Promise<BuildRecord>;
  close(): Promise<void>;
}

export const defaultTree = () =>
  makeTree({ 'README.md': 'hello from the repo\n', 'src/app.sh': 'echo app\n' });

export const createHarness = async (
  docker: TestDocker,
  {
    capacity = 4,
    keyPrefix = `test-builds-${randomUUID().slice(0, 8)}`,
  }: { capacity?: number; keyPrefix?: string } = {},
): Promise<BuildHarness> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hk-builds-'));
  const storage = await createStorage({ redisUrl: inject('redisUrl'), dataDir, keyPrefix });
  const records = createBuildRecords({
    records: storage.store<BuildRecord>('builds'),
    counter: storage.store<number>('build-seq'),
    clock: systemClock,
  });
  const logs = createBuildLogs(storage.store<StageLog>('build-logs'));
  const hosts = createDockerPool({ hosts: [{ address: docker.address, capacity }] });
  const log = captureLogger();
  const instance = keyPrefix;
  const queues: BuildQueue[] = [];
  const queue = (options: Partial<QueueOptions> = {}) => {
    const created = createBuildQueue({
      records,
      logs,
      hosts,
      clock: systemClock,
      logger: log.logger,
      instance,
      limits: { global: 4, perRepo: 4 },
      tree: async () => defaultTree(),
      ...options,
    });
    queues.push(created);
    return created;
  };
  return {
    storage,
    records,
    logs,
    hosts,
    instance,
    log,
    queue,
    run: async (build, options) => {
      const q = queue(options);
      const queued = await q.enqueue(build);
      await q.idle();
      const record = await records.get(queued.id);
      if (!record) throw new Error(`build ${queued.id} vanished`);
      return record;
    },
    close: async () => {
      await Promise.all(queues.map((q) => q.close()));
      await storage.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

export const stage = (name: string, script: string[], extra: Partial<Stage> = {}): Stage => ({
  name,
  script,
  env: {},
  ...extra,
});

export const pipeline = (stages: Stage[], extra: Partial<Pipeline> = {}): Pipeline => ({
  name: 'default',
  image: TEST_IMAGE,
  env: {},
  branches: 'ALL',
  workdir: '/build',
  stages,
  notify: {},
  ...extra,
});

export const newBuild = (definition: Pipeline, extra: Partial<NewBuild> = {}): NewBuild => ({
  repo: 'infra/api',
  branch: 'main',
  sha: 'a'.repeat(40),
  definition,
  commit: { message: 'change things', changedFiles: ['src/app.sh'] },
  trigger: { kind: 'command', by: 'U123' },
  ...extra,
});

/** Polls until `check` returns a value (or fails after `ms`): for waiting on real asynchronous state. */
export const eventually = async <T>(check: () => Promise<T | undefined>, ms = 10_000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};
