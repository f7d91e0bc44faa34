import { setTimeout as sleep } from 'node:timers/promises';
import { HecklerError } from '../errors.js';
import type { Chat, MessageRef } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';
import type { CodeHost } from '../ports/code-host.js';
import type { ContainerHosts, RegistryAuth } from '../ports/containers.js';
import type { Logger } from '../ports/logger.js';
import type { Locks, Store } from '../ports/store.js';
import {
  commandBuilds,
  describeTarget,
  missingPipeline,
  readPipelineFile,
  resolveTarget,
  type Target,
} from './commits.js';
import { type JanitorReport, sweep } from './janitor.js';
import { type Killed, killBuilds } from './kill.js';
import { buildLogText, createBuildLogs, type StageLog } from './log.js';
import type { PipelineParse } from './pipeline.js';
import { createPoller, type PollReport, type RepoTips } from './poll.js';
import { type BuildViews, createChatProgress } from './progress.js';
import { buildPullRequest, hostRepos, type PullRequest, type PullRequestReport } from './pull-requests.js';
import { createBuildQueue, type QueueLimits, type ReconcileResult } from './queue.js';
import { type BuildRecord, createBuildRecords, type NewBuild } from './records.js';
import type { BuildProgress } from './runner.js';
import type { ResourcePolicy } from './runner-limits.js';
import { createStatusReporter } from './status-reporter.js';
import { createRepoRegistry, type OpenRepo, type WatchedRepo } from './watch.js';

export type { PollReport } from './poll.js';
export type { WatchedRepo } from './watch.js';

export interface BuildServiceOptions {
  /** Watched from heckler.yml; `/heckler watch` adds more, kept in the store. */
  repos: readonly Omit<WatchedRepo, 'source'>[];
  openRepo: OpenRepo;
  hosts: ContainerHosts;
  /** Namespaces: builds, build-seq, build-logs, build-repos, build-tips, build-messages. */
  storage: { store<T>(namespace: string): Store<T>; locks: Locks };
  chat: Chat;
  views: BuildViews;
  /** Where build messages go (a pipeline's notify.slack.channel wins). */
  channel: string;
  limits: QueueLimits;
  logLimitBytes: number;
  /** Memory, CPUs, pids and timeout of builds (DEFAULT_RESOURCE_POLICY when absent). */
  resources?: ResourcePolicy;
  /**
   * Commit statuses; `repos` maps a repo name to the host's owner/repo. URLs on github.com, or on
   * the host of `apiUrl` (GitHub Enterprise), need no mapping.
   */
  codeHost?: { host: CodeHost; repos: Readonly<Record<string, string>>; apiUrl?: string };
  registryAuth?: (image: string) => RegistryAuth | undefined;
  /** A repository's secret environment values (never given to untrusted builds). */
  secretEnv?: (repo: string) => Readonly<Record<string, string>>;
  /** Masked in build logs. */
  secrets?: readonly string[];
  /** `heckler.instance` label of our containers. */
  instance: string;
  /** Unused build images older than this are removed by `sweep`. */
  imageAgeMs?: number;
  clock: Clock;
  logger: Logger;
  minUpdateMs?: number;
  /** Told of every build's status and finished stages besides chat and statuses (the build gate). */
  observer?: BuildProgress;
}

/** Commit status names: `heckler/build/<pipeline>` on the Puppet repository (beside `heckler/review`). */
const statusContext = (gated: ReadonlySet<string>) => (build: BuildRecord) =>
  gated.has(build.repo) ? `heckler/build/${build.pipeline}` : `heckler/${build.pipeline}`;

export interface Validation {
  repo: string;
  target: Target;
  parse: PipelineParse;
}

/** The CI half as commands and schedules see it. */
export interface BuildService {
  repos(): Promise<WatchedRepo[]>;
  watch(name: string, url: string, by: string): Promise<{ repo: WatchedRepo; report: PollReport }>;
  unwatch(name: string): Promise<WatchedRepo>;
  /**
   * Queues one build per pipeline that builds the branch (only `only.pipeline` when given: NOT_FOUND
   * when the file has no such pipeline); PIPELINE_INVALID / NOT_FOUND otherwise.
   */
  build(
    name: string,
    revision: string | undefined,
    by: string,
    only?: { pipeline?: string },
  ): Promise<BuildRecord[]>;
  validate(name: string, revision?: string): Promise<Validation>;
  /** Newest first. */
  list(filter?: { repo?: string; limit?: number }): Promise<BuildRecord[]>;
  get(id: number): Promise<BuildRecord>;
  /** By id, or every queued or running build of a SHA (prefix); `stopped` false: it had finished. */
  kill(target: string, by: string): Promise<Killed[]>;
  log(id: number, stage?: string): Promise<{ build: BuildRecord; text: string }>;
  poll(): Promise<PollReport[]>;
  /** A push to `hostRepo` (`owner/name` on the code host): polls the watched repositories it is, now. */
  pushed(hostRepo: string): Promise<PollReport[]>;
  /** Builds a pull request's head in each watched repository that is its base. */
  pullRequest(pr: PullRequest): Promise<PullRequestReport[]>;
  sweep(): Promise<JanitorReport>;
  /** At start: builds left running are interrupted (and queued once more); queued ones resume. */
  reconcile(): Promise<ReconcileResult>;
  /** Resolves when no build runs or can start and chat and statuses have caught up. */
  idle(): Promise<void>;
  /** Starts nothing more; waits up to `graceMs` for running builds (a restart interrupts the rest). */
  close(graceMs?: number): Promise<void>;
}

export const createBuildService = (options: BuildServiceOptions): BuildService => {
  const { storage, clock, logger, chat, views } = options;
  const records = createBuildRecords({
    records: storage.store<BuildRecord>('builds'),
    counter: storage.store<number>('build-seq'),
    clock,
  });
  const logs = createBuildLogs(storage.store<StageLog>('build-logs'));
  const registry = createRepoRegistry({
    configured: options.repos,
    store: storage.store<WatchedRepo>('build-repos'),
    open: options.openRepo,
    clock,
    logger,
  });
  const tips = storage.store<RepoTips>('build-tips');
  const chatProgress = createChatProgress({
    chat,
    views,
    logs,
    messages: storage.store<MessageRef>('build-messages'),
    channel: options.channel,
    clock,
    logger,
    ...(options.minUpdateMs === undefined ? {} : { minUpdateMs: options.minUpdateMs }),
  });
  const codeHost = options.codeHost;
  const { hostRepoOf, watchedAs } = hostRepos(registry, codeHost);
  const statuses = codeHost
    ? createStatusReporter({
        host: codeHost.host,
        hostRepo: async (name) => hostRepoOf(await registry.get(name)),
        context: statusContext(new Set(options.repos.filter((r) => r.builtOnReview).map((r) => r.name))),
        targetUrl: async (build) => {
          const ref = await chatProgress.messageOf(build.id);
          return ref && chat.permalink ? chat.permalink(ref) : undefined;
        },
        logger,
      })
    : undefined;
  const observer = options.observer;
  const progress: BuildProgress = {
    onStatus: (build) => {
      chatProgress.onStatus(build);
      statuses?.onStatus(build);
      observer?.onStatus?.(build);
    },
    onStageFinished: (build, stage) => {
      chatProgress.onStageFinished(build, stage);
      observer?.onStageFinished?.(build, stage);
    },
  };
  const queue = createBuildQueue({
    records,
    logs,
    hosts: options.hosts,
    limits: options.limits,
    clock,
    logger,
    instance: options.instance,
    secrets: options.secrets ?? [],
    logLimits: { maxBytes: options.logLimitBytes },
    ...(options.resources ? { resources: options.resources } : {}),
    ...(options.registryAuth ? { registryAuth: options.registryAuth } : {}),
    ...(options.secretEnv ? { secretEnv: options.secretEnv } : {}),
    progress,
    tree: async (build) => (await registry.mirror(await registry.get(build.repo))).archive(build.sha),
  });

  const enqueue = async (build: NewBuild): Promise<BuildRecord> => {
    const record = await queue.enqueue(build);
    chatProgress.track(record);
    // `pending` "queued" on the commit, linked to the message posted for it just now.
    statuses?.onStatus(record);
    observer?.onStatus?.(record);
    return record;
  };

  const pollOne = createPoller(
    {
      tips,
      now: () => clock.now(),
      logger,
      enqueue,
      onInvalid: async (repo, target, errors) => {
        await chat.post(options.channel, views.invalidPush(repo.name, describeTarget(target), errors));
      },
    },
    (repo) => registry.mirror(repo),
  );

  const get = async (id: number) => {
    const record = await records.get(id);
    if (!record)
      throw new HecklerError('NOT_FOUND', `there is no build #${id}`, {
        hint: '`/heckler builds` lists recent builds',
      });
    return record;
  };

  return {
    repos: () => registry.all(),
    watch: async (name, url, by) => {
      const repo = await registry.add(name, url, by);
      return { repo, report: await pollOne(repo) };
    },
    unwatch: async (name) => {
      const repo = await registry.remove(name);
      await tips.delete(name);
      return repo;
    },
    build: async (name, revision, by, only = {}) => {
      const mirror = await registry.mirror(await registry.get(name));
      const queued: BuildRecord[] = [];
      for (const build of await commandBuilds(mirror, name, revision, by, only.pipeline))
        queued.push(await enqueue(build));
      return queued;
    },
    validate: async (name, revision) => {
      const mirror = await registry.mirror(await registry.get(name));
      await mirror.fetch();
      const target = await resolveTarget(mirror, revision);
      const parse = await readPipelineFile(mirror, target.sha);
      if (!parse) throw missingPipeline(name, target);
      return { repo: name, target, parse };
    },
    list: async ({ repo, limit = 20 } = {}) => {
      if (repo !== undefined) await registry.get(repo);
      return records.list({ ...(repo === undefined ? {} : { repo }), limit });
    },
    get,
    kill: (target, by) => killBuilds({ records, queue }, target, by),
    log: async (id, stage) => {
      const build = await get(id);
      return { build, text: await buildLogText(logs, build, stage) };
    },
    poll: async () => {
      const reports: PollReport[] = [];
      for (const repo of await registry.all()) {
        if (repo.builtOnReview) continue;
        try {
          reports.push(await pollOne(repo));
        } catch (error) {
          logger.warn({ err: error, repo: repo.name }, 'could not poll a repository');
        }
      }
      return reports;
    },
    pushed: async (hostRepo) => Promise.all((await watchedAs(hostRepo)).map((repo) => pollOne(repo))),
    pullRequest: async (pr) => {
      const deps = {
        logger,
        enqueue,
        builtAt: (name: string, sha: string) => records.list({ repo: name, sha }),
        onInvalid: async (at: WatchedRepo, target: Target, errors: readonly string[]) => {
          await chat.post(options.channel, views.invalidPush(at.name, describeTarget(target), errors));
        },
      };
      const reports: PullRequestReport[] = [];
      for (const repo of await watchedAs(pr.repo))
        reports.push(await buildPullRequest(deps, repo, await registry.mirror(repo), pr));
      return reports;
    },
    sweep: async () => {
      const images = [
        ...new Set((await records.list({ limit: 500 })).map((build) => build.definition.image)),
      ];
      return sweep({
        records,
        hosts: options.hosts,
        logger,
        instance: options.instance,
        ...(options.imageAgeMs === undefined
          ? {}
          : { images: { olderThanMs: options.imageAgeMs, names: images } }),
      });
    },
    reconcile: () => queue.reconcile(),
    idle: async () => {
      await queue.idle();
      await chatProgress.settled();
      await statuses?.settled();
    },
    close: async (graceMs = 30_000) => {
      // Unref'd: a close that finished early must not keep the process up for the grace period.
      await Promise.race([queue.close(), sleep(graceMs, undefined, { ref: false })]);
      await Promise.race([
        chatProgress.settled().then(() => statuses?.settled()),
        sleep(5_000, undefined, { ref: false }),
      ]);
      registry.close();
    },
  };
};
