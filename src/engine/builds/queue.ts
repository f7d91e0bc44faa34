import { HecklerError } from '../errors.js';
import type { ContainerHosts, HostSlot } from '../ports/containers.js';
import { reconcileBuilds } from './queue-reconcile.js';
import type { BuildRecord, NewBuild } from './records.js';
import { BuildKilled, type RunnerDeps, runBuild } from './runner.js';

export interface QueueLimits {
  /** Builds running at once over all repositories. */
  global: number;
  /** Builds of one repository running at once. */
  perRepo: number;
}

export interface QueueOptions extends RunnerDeps {
  hosts: ContainerHosts;
  limits: QueueLimits;
  /** The repository tree at the build's commit, as an uncompressed tar (the mirror's `archive`). */
  tree(build: BuildRecord): Promise<Buffer>;
}

export interface ReconcileResult {
  /** Builds found `running` from before the restart, now `interrupted`. */
  interrupted: number[];
  /** [interrupted id, id of the build that repeats it]. */
  requeued: Array<[from: number, to: number]>;
  /** Builds still `queued` in the store, taken back into the queue. */
  resumed: number[];
}

export interface BuildQueue {
  /** Persists a queued build and starts it when limits and hosts allow. */
  enqueue(build: NewBuild): Promise<BuildRecord>;
  /**
   * Queued: removed and cancelled. Running: its container is killed; resolves with the finished
   * record (within seconds). Finished: the record as it is. NOT_FOUND for an unknown id.
   */
  kill(id: number, by: string): Promise<BuildRecord>;
  /** At start: builds left running become interrupted (and are queued once more), queued ones resume. */
  reconcile(): Promise<ReconcileResult>;
  /** Ids of the builds this process is running now. */
  running(): number[];
  /** Ids waiting, in the order they will start. */
  waiting(): number[];
  /** Resolves when nothing runs and nothing waiting can start. */
  idle(): Promise<void>;
  /** Starts nothing more; resolves when the running builds have finished. */
  close(): Promise<void>;
}

interface Running {
  build: BuildRecord;
  controller: AbortController;
  done: Promise<BuildRecord>;
}

/** Requeued builds keep their original place: the queue is in commit (arrival) order. */
const order = (build: BuildRecord): number => build.retryOf ?? build.id;

/**
 * The build queue of one bot process (the leader, when several replicas share Redis). Every
 * decision to start runs synchronously in `pump`, so two builds never take the same slot.
 */
export const createBuildQueue = (options: QueueOptions): BuildQueue => {
  const { records, limits, hosts, clock } = options;
  const waiting: BuildRecord[] = [];
  const running = new Map<number, Running>();
  let closed = false;
  let idleWaiters: Array<() => void> = [];

  const settleIdle = () => {
    if (running.size > 0 || startable()) return;
    for (const resolve of idleWaiters) resolve();
    idleWaiters = [];
  };

  /** Whether the head of some repository's line could start right now (ignoring host capacity). */
  const startable = () => !closed && waiting.some((build) => fitsLimits(build));

  const fitsLimits = (build: BuildRecord) => {
    if (running.size >= limits.global) return false;
    let sameRepo = 0;
    for (const { build: other } of running.values()) if (other.repo === build.repo) sameRepo += 1;
    return sameRepo < limits.perRepo;
  };

  const pump = () => {
    if (closed) return;
    waiting.sort((a, b) => order(a) - order(b));
    for (let index = 0; index < waiting.length && running.size < limits.global; ) {
      const build = waiting[index];
      if (!build || !fitsLimits(build)) {
        index += 1;
        continue;
      }
      const slot = hosts.acquire();
      if (!slot) break;
      waiting.splice(index, 1);
      start(build, slot);
    }
    settleIdle();
  };

  const start = (build: BuildRecord, slot: HostSlot) => {
    const controller = new AbortController();
    const done = runBuild(options, {
      build,
      slot,
      signal: controller.signal,
      tree: () => options.tree(build),
    }).finally(() => {
      slot.release();
      running.delete(build.id);
      pump();
      settleIdle();
    });
    running.set(build.id, { build, controller, done });
    done.catch((error: unknown) =>
      options.logger.error({ err: error, build: build.id }, 'build runner crashed'),
    );
  };

  const cancelQueued = async (record: BuildRecord, by: string): Promise<BuildRecord> => {
    const cancelled: BuildRecord = { ...record, status: 'cancelled', killedBy: by, finishedAt: clock.now() };
    await records.save(cancelled);
    try {
      await options.progress?.onStatus?.(cancelled);
    } catch (error) {
      options.logger.warn({ err: error, build: record.id }, 'build progress callback failed');
    }
    return cancelled;
  };

  return {
    enqueue: async (build) => {
      const record = await records.create(build);
      waiting.push(record);
      pump();
      return record;
    },
    kill: async (id, by) => {
      const active = running.get(id);
      if (active) {
        active.controller.abort(new BuildKilled(by));
        return active.done;
      }
      const index = waiting.findIndex((build) => build.id === id);
      if (index >= 0) {
        const [queued] = waiting.splice(index, 1);
        settleIdle();
        if (queued) return cancelQueued((await records.get(id)) ?? queued, by);
      }
      const record = await records.get(id);
      if (!record) throw new HecklerError('NOT_FOUND', `there is no build ${id}`);
      if (record.status === 'queued') return cancelQueued(record, by);
      if (record.status === 'running') {
        // Not ours: left behind by a bot that died. Stop its container and close the record.
        const runtime = record.host ? hosts.runtime(record.host) : undefined;
        if (runtime && record.containerId) await runtime.remove(record.containerId);
        return cancelQueued(record, by);
      }
      return record;
    },
    reconcile: async () => {
      const result = await reconcileBuilds(options, new Set(running.keys()));
      const known = new Set(waiting.map((build) => build.id));
      waiting.push(...result.queued.filter((build) => !known.has(build.id)));
      pump();
      return { interrupted: result.interrupted, requeued: result.requeued, resumed: result.resumed };
    },
    running: () => [...running.keys()],
    waiting: () => [...waiting].sort((a, b) => order(a) - order(b)).map((build) => build.id),
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      }),
    close: async () => {
      closed = true;
      await Promise.allSettled([...running.values()].map((entry) => entry.done));
    },
  };
};
