import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import type { Pipeline } from './pipeline.js';

/**
 * queued → running → passed | failed | cancelled | timed_out | error; running → interrupted when
 * the bot restarted under it. `error` is the infrastructure's fault (engine down, image missing),
 * never the build's.
 */
export type BuildStatus =
  | 'queued'
  | 'running'
  | 'passed'
  | 'failed'
  | 'cancelled'
  | 'timed_out'
  | 'error'
  | 'interrupted';

/** A stage row stays `not_run` until it starts; a started row without durationMs is running. */
export type StageStatus = 'passed' | 'failed' | 'skipped' | 'not_run' | 'timed_out' | 'cancelled';

export const isFinished = (status: BuildStatus): boolean => status !== 'queued' && status !== 'running';

export interface BuildTrigger {
  kind: 'push' | 'command' | 'retry' | 'pull_request';
  /** A chat user id for commands, the pusher for pushes, what restarted it for retries, `PR #12 by @x`. */
  by: string;
  /**
   * The code is someone else's (a pull request from a fork): the build gets no registry
   * credentials and no secret environment values, and a retry after a restart stays untrusted.
   */
  untrusted?: boolean;
}

export interface StageRecord {
  name: string;
  /** Unique within the build: `build`, then `build#2` for a second stage named build. */
  key: string;
  status: StageStatus;
  exitCode: number | null;
  startedAt: number | null;
  durationMs: number | null;
  /** Why it was skipped, not run, timed out or failed without an exit code. */
  reason?: string;
}

export interface BuildRecord {
  id: number;
  repo: string;
  branch: string;
  sha: string;
  /** The pipeline's name (`default` for a file with one). */
  pipeline: string;
  /** The parsed pipeline as queued, so a build requeued after a restart runs the same stages. */
  definition: Pipeline;
  /** What stage triggers match on. */
  commit: { message: string; changedFiles: string[] };
  trigger: BuildTrigger;
  status: BuildStatus;
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** startedAt − queuedAt: how long it waited for a free slot. */
  waitMs: number | null;
  stages: StageRecord[];
  /** For `error` and `interrupted`: what went wrong, in plain words. */
  error?: string;
  /** Who killed it (status cancelled). */
  killedBy?: string;
  /** The Docker host address it ran on. */
  host?: string;
  containerId?: string;
  /** A build queued again after a restart interrupted the original; it is never requeued twice. */
  requeued?: boolean;
  /** On a requeued build: the interrupted one it repeats. */
  retryOf?: number;
  /** On an interrupted build: the build that repeats it. */
  requeuedAs?: number;
}

export type NewBuild = Pick<BuildRecord, 'repo' | 'branch' | 'sha' | 'definition' | 'commit' | 'trigger'> &
  Pick<BuildRecord, 'requeued' | 'retryOf'>;

/** `build`, `echo`, `build` → `build`, `echo`, `build#2` (what pipeline-checks warns about). */
export const stageKeys = (names: readonly string[]): string[] => {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name}#${count}`;
  });
};

export interface BuildRecords {
  /** A new queued build with the next id. */
  create(build: NewBuild): Promise<BuildRecord>;
  get(id: number): Promise<BuildRecord | undefined>;
  save(record: BuildRecord): Promise<void>;
  /** Newest first. */
  list(filter?: {
    repo?: string;
    sha?: string;
    status?: readonly BuildStatus[];
    limit?: number;
  }): Promise<BuildRecord[]>;
}

export interface BuildRecordsOptions {
  records: Store<BuildRecord>;
  /** One value under `next`: the last id handed out, counted on by the store's atomic increment. */
  counter: Store<number>;
  clock: Clock;
}

export const createBuildRecords = ({ records, counter, clock }: BuildRecordsOptions): BuildRecords => {
  const nextId = () => counter.increment('next');

  return {
    create: async (build) => {
      const names = build.definition.stages.map((stage) => stage.name);
      const record: BuildRecord = {
        id: await nextId(),
        ...build,
        pipeline: build.definition.name,
        status: 'queued',
        queuedAt: clock.now(),
        startedAt: null,
        finishedAt: null,
        waitMs: null,
        stages: stageKeys(names).map((key, index) => ({
          name: names[index] ?? key,
          key,
          status: 'not_run',
          exitCode: null,
          startedAt: null,
          durationMs: null,
        })),
      };
      await records.set(String(record.id), record);
      return record;
    },
    get: (id) => records.get(String(id)),
    save: (record) => records.set(String(record.id), record),
    list: async ({ repo, sha, status, limit = Number.POSITIVE_INFINITY } = {}) => {
      const found: BuildRecord[] = [];
      for await (const [, record] of records.entries()) {
        if (repo !== undefined && record.repo !== repo) continue;
        if (sha !== undefined && !record.sha.startsWith(sha)) continue;
        if (status !== undefined && !status.includes(record.status)) continue;
        found.push(record);
      }
      return found.sort((a, b) => b.id - a.id).slice(0, limit);
    },
  };
};
