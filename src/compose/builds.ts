import { join } from 'node:path';
import { createDockerPool } from '../adapters/docker/pool.js';
import { openMirror } from '../adapters/git/mirror.js';
import { createGitHubCodeHost } from '../adapters/github/code-host.js';
import { createBreeScheduler } from '../adapters/schedule/bree.js';
import { buildViews as views } from '../commands/views/build-progress.js';
import { reviewMessage } from '../commands/views/review.js';
import { gateViews, type ReviewBuildGate } from '../commands/views/review-build.js';
import { resourcePolicy } from '../config/builds-resources.js';
import { puppetGithubRepo } from '../config/fleet-schema.js';
import { secretValues } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { registryAuthFor } from '../engine/builds/registry-auth.js';
import { type BuildService, createBuildService } from '../engine/builds/service.js';
import type { WatchedRepo } from '../engine/builds/watch.js';
import { PUPPET_BUILD_REPO } from '../engine/gate/rules.js';
import { type BuildGate, createBuildGate } from '../engine/gate/service.js';
import type { Chat, Clock, Logger } from '../engine/ports/index.js';
import type { Scheduler } from '../engine/ports/scheduler.js';
import type { ReviewRecord } from '../engine/review/records.js';
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
  /** repo.build: the Puppet repository is built too (as `puppet`), each reviewed commit by the gate. */
  gate?: BuildGate;
}

/** How reviews show and weigh a commit's build, from heckler.yml; undefined when repo.build is off. */
export const reviewBuildGate = (config: Config): ReviewBuildGate | undefined =>
  config.repo?.build
    ? { approvals: config.approvals.requireBuild, apply: config.apply.requireBuild }
    : undefined;

/**
 * The build gate (issue 12) when repo.build is on: made before the reviews (which tell it of each
 * commit reviewed) and the builds (which it observes); `composeBuilds` attaches the build service.
 */
export const composeBuildGate = (options: {
  config: Config;
  storage: Storage;
  chat: Chat;
  logger: Logger;
}): BuildGate | undefined => {
  const { config, storage, chat } = options;
  const repo = config.repo;
  if (!repo?.build) return undefined;
  const logger = options.logger.child({ part: 'build-gate' });
  const gate = reviewBuildGate(config);
  return createBuildGate({
    repo: PUPPET_BUILD_REPO,
    ...(typeof repo.build === 'string' ? { pipeline: repo.build } : {}),
    reviews: storage.store<ReviewRecord>('reviews'),
    chat,
    channel: config.approvals.channel ?? config.chat.channel,
    views: gateViews((record) => reviewMessage(record, config.roles, gate)),
    // heckler/review is posted for every review (composeFleet), gated or not.
    logger,
  });
};

/** The Puppet repository among the watched ones: built on review, never polled. */
const puppetBuildRepo = (config: Config, gate: BuildGate | undefined): Omit<WatchedRepo, 'source'>[] =>
  gate && config.repo ? [{ name: gate.repo, url: config.repo.url, builtOnReview: true }] : [];

/** Mirror directories are named after the repo; `/` cannot be part of one name. */
const mirrorDir = (config: Config, name: string) =>
  join(config.storage.dataDir, 'builds', 'mirrors', name.replace('/', '__'));

/** The Puppet repository's `owner/name` for its build statuses, when it is on GitHub. */
const puppetStatusRepo = (config: Config, gate: BuildGate | undefined): Record<string, string> => {
  const name = gate && config.repo ? puppetGithubRepo(config.repo) : undefined;
  return gate && name ? { [gate.repo]: name } : {};
};

/** Whether anything is watched: config repos, or repos added in chat (kept in the store). */
const anyRepo = async (config: Config, storage: Storage): Promise<boolean> => {
  if (config.builds.repos.length > 0 || config.repo?.build) return true;
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
          repos: { ...settings.github.repos, ...puppetStatusRepo(config, options.gate) },
          apiUrl: settings.github.apiUrl,
        }
      : undefined;
  const service = createBuildService({
    repos: [...settings.repos, ...puppetBuildRepo(config, options.gate)],
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
    secretEnv: (repo) => config.secrets.buildEnv?.[repo] ?? {},
    secrets: secretValues(config.secrets),
    instance: config.storage.keyPrefix,
    imageAgeMs: settings.janitor.imageAge,
    clock,
    logger: log,
    ...(options.gate ? { observer: options.gate.observer } : {}),
  });
  options.gate?.attach(service);
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
