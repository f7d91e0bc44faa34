import { join } from 'node:path';
import { createDockerPool } from '../adapters/docker/pool.js';
import { openMirror } from '../adapters/git/mirror.js';
import { createGitHubCodeHost } from '../adapters/github/code-host.js';
import { createBreeScheduler } from '../adapters/schedule/bree.js';
import { buildViews as views } from '../commands/views/build-progress.js';
import { resourcePolicy } from '../config/builds-resources.js';
import { secretValues } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { registryAuthFor } from '../engine/builds/registry-auth.js';
import { type BuildService, createBuildService } from '../engine/builds/service.js';
import type { WatchedRepo } from '../engine/builds/watch.js';
import type { Chat, Clock, Logger } from '../engine/ports/index.js';
import type { Scheduler } from '../engine/ports/scheduler.js';
import type { Storage } from '../storage/keyv.js';
import { withBuildLogFiles } from '../storage/log-files.js';

export interface ComposedBuilds {
  service: BuildService;
  close(): Promise<void>;
}

export interface ComposeBuildsOptions {
  config: Config;
  storage: Storage;
  chat: Chat;
  logger: Logger;
  clock: Clock;
  /** Defaults to bree; tests may pass their own. */
  scheduler?: Scheduler;
  /** Polls and the janitor on a schedule (off in tests that poll by hand). */
  schedule?: boolean;
}

/** Mirror directories are named after the repo; `/` cannot be part of one name. */
const mirrorDir = (config: Config, name: string) =>
  join(config.storage.dataDir, 'builds', 'mirrors', name.replace('/', '__'));

/** Whether anything is watched: config repos, or repos added in chat (kept in the store). */
const anyRepo = async (config: Config, storage: Storage): Promise<boolean> => {
  if (config.builds.repos.length > 0) return true;
  for await (const _ of storage.store<WatchedRepo>('build-repos').entries()) return true;
  return false;
};

/**
 * The CI half, when any repository is watched (so the demo starts without Docker): the Docker pool,
 * git mirrors, the build service (queue, chat progress, GitHub statuses when configured), the
 * restart reconcile, and bree schedules for polling and the janitor.
 */
export const composeBuilds = async (options: ComposeBuildsOptions): Promise<ComposedBuilds | undefined> => {
  const { config, storage, chat, logger, clock } = options;
  if (!(await anyRepo(config, storage))) return undefined;
  const settings = config.builds;
  const log = logger.child({ part: 'builds' });
  const hosts = createDockerPool({ hosts: settings.docker.hosts, network: settings.docker.network });
  const token = config.secrets.githubToken;
  if (settings.github.statuses && !token && Object.keys(settings.github.repos).length > 0) {
    log.warn({}, 'builds.github.repos is set but GITHUB_TOKEN is not: no commit statuses will be posted');
  }
  const codeHost =
    settings.github.statuses && token
      ? {
          host: createGitHubCodeHost({ token, apiUrl: settings.github.apiUrl, logger: log }),
          repos: settings.github.repos,
        }
      : undefined;
  const service = createBuildService({
    repos: settings.repos,
    openRepo: (repo) =>
      openMirror({
        url: repo.url,
        dir: mirrorDir(config, repo.name),
        track: { allBranches: true },
        logger: log.child({ repo: repo.name }),
        env: config.childEnv,
      }),
    hosts,
    // Embedded store: build logs go to files beside it (<dataDir>/build-logs), not into its log.
    storage: await withBuildLogFiles(storage, join(config.storage.dataDir, 'build-logs'), log),
    chat,
    views,
    channel: settings.channel ?? config.chat.channel,
    limits: settings.limits,
    logLimitBytes: settings.logLimit,
    resources: resourcePolicy(settings),
    ...(codeHost ? { codeHost } : {}),
    registryAuth: registryAuthFor(config.secrets.registry ?? {}),
    secrets: secretValues(config.secrets),
    instance: config.storage.keyPrefix,
    imageAgeMs: settings.janitor.imageAge,
    clock,
    logger: log,
  });
  const reconciled = await service.reconcile();
  if (reconciled.interrupted.length + reconciled.resumed.length > 0)
    log.info({ ...reconciled }, 'builds reconciled');
  const scheduler =
    options.schedule === false ? undefined : (options.scheduler ?? createBreeScheduler({ logger: log }));
  if (scheduler) {
    await scheduler.every('builds-poll', settings.pollEvery, async () => void (await service.poll()));
    await scheduler.every('builds-janitor', settings.janitor.every, async () => void (await service.sweep()));
    // The first poll now (records tips of new repos, builds what arrived while we were down);
    // not awaited: cloning a big repository must not hold up the bot's start.
    void service.poll().catch((error: unknown) => log.warn({ err: error }, 'first poll failed'));
  }
  return {
    service,
    close: async () => {
      await scheduler?.stop();
      await service.close();
    },
  };
};
