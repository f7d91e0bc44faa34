import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WebhookRoute } from '../adapters/github/webhook.js';
import type { PrometheusMetrics } from '../adapters/metrics/prometheus.js';
import type { OpsRoutes } from '../adapters/metrics/routes.js';
import { createBreeScheduler } from '../adapters/schedule/bree.js';
import { createLeaderScheduler } from '../adapters/schedule/leader.js';
import { keepHomesFresh } from '../bot/slack/app-home.js';
import type { ChatSurface, SurfaceStarted } from '../bot/surface.js';
import type { Dispatcher } from '../commands/dispatch.js';
import { allCommands, createDispatcher, createRegistry } from '../commands/index.js';
import type { CommandSpec, Services } from '../commands/types.js';
import type { Config } from '../config/schema.js';
import { DEMO_NODES } from '../demo/config.js';
import { puppetMissingNotice } from '../demo/preflight.js';
import { prepareDemo } from '../demo/repo.js';
import type { HomeService, HomeTimer } from '../engine/home/service.js';
import { createNodeLocks } from '../engine/locks/node-locks.js';
import {
  type Chat,
  type Clock,
  type Logger,
  type NodeTransport,
  systemClock,
} from '../engine/ports/index.js';
import type { Scheduler } from '../engine/ports/scheduler.js';
import { createStorage, type Storage } from '../storage/keyv.js';
import { type ComposedBuilds, composeBuilds } from './builds.js';
import { type ComposedFleet, composeFleet } from './fleet.js';
import { composeWebhook } from './github-webhook.js';
import { composeHome, homeWatchedChat } from './home.js';
import { chatDoctor, countedFleet, countedStorage, opsMetrics, opsRoutes, startOpsListener } from './ops.js';
import {
  headlessSurface,
  loggerFor,
  type ShellOverrides,
  type SlackOverrides,
  shellIdentityFor,
  surfaceFor,
} from './surface.js';

/**
 * What a test or bench swaps for its own; everything left out comes from the config, as in
 * production. Parts passed in belong to the caller: the app does not close them.
 */
export interface AppOverrides {
  clock?: Clock;
  /** Default: stdout in Slack mode, `<dataDir>/heckler.log` in the shell. */
  logger?: Logger;
  /** Default: Redis when REDIS_URL is set, else the embedded store in storage.dataDir. */
  storage?: Storage;
  /** The chat surface; default the one config.mode names. */
  surface?: ChatSurface;
  /** A Chat with nothing coming in (the caller dispatches): the surface is headless. */
  chat?: Chat;
  /** Every node's commands through this instead of SSH or local (closed with the fleet, like `scheduler`). */
  transport?: NodeTransport;
  /**
   * Runs the polls, scans and janitor; `false` schedules nothing (tests drive them). Default: bree
   * behind the store lease, so of several bots on one Redis only one runs them.
   */
  scheduler?: Scheduler | false;
  slack?: SlackOverrides;
  shell?: ShellOverrides;
  /** Default: every command of src/commands. */
  commands?: readonly CommandSpec[];
  /** Default: package.json's. */
  version?: string;
  /** Edits of an apply's status message at most this often. */
  applyMinUpdateMs?: number;
  /** Which replica this bot is (default: host and data directory); tests run two in one process. */
  replica?: string;
  /** Default: a prom-client registry of this app's own, served at /metrics. */
  metrics?: PrometheusMetrics;
  /** The dashboard's debounce: its timer (tests fire it themselves) and wait (default 2 s). */
  home?: { timer?: HomeTimer; debounceMs?: number };
}

export interface HecklerApp {
  config: Config;
  logger: Logger;
  clock: Clock;
  storage: Storage;
  surface: ChatSurface;
  chat: Chat;
  services: Services;
  dispatcher: Dispatcher;
  /** The Puppet half, when heckler.yml names a repository. */
  fleet?: ComposedFleet;
  /** The CI half, when any repository is watched. */
  builds?: ComposedBuilds;
  /** POST /github/webhook, when GITHUB_WEBHOOK_SECRET is set (served with the operations routes). */
  webhook?: WebhookRoute;
  scheduler?: Scheduler;
  /** Starts the surface; logs `heckler is listening` (with the port, if any). */
  start(): Promise<SurfaceStarted>;
  /**
   * SIGTERM: no new requests; applies already running get `apply.shutdownGrace` (or `graceMs`) to
   * finish, then records, locks and messages are settled and everything is closed. Idempotent.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
  /** Closes everything without waiting on applies (they are idle: the shell waited for them). */
  close(): Promise<void>;
}

/** How often the scheduler refreshes the dashboards whatever happened (changes refresh them sooner). */
const HOME_REFRESH_MS = 5 * 60_000;

const root = fileURLToPath(new URL('../..', import.meta.url));
const packageVersion = (): string =>
  (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string }).version;

/**
 * The composition root: the one place that knows every adapter. main.ts, the tests and the benches
 * all build the bot here; the config says what to build, overrides swap parts for their own.
 */
export const composeApp = async (config: Config, overrides: AppOverrides = {}): Promise<HecklerApp> => {
  const custom = overrides.surface ?? overrides.chat;
  const identity = !custom && config.mode === 'shell' ? shellIdentityFor(config, overrides.shell) : undefined;
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? loggerFor(config);
  const opened =
    overrides.storage ??
    (await createStorage({
      dataDir: config.storage.dataDir,
      keyPrefix: config.storage.keyPrefix,
      logger,
      ...(config.secrets.redisUrl ? { redisUrl: config.secrets.redisUrl } : {}),
    }));
  let fleet: ComposedFleet | undefined;
  let builds: ComposedBuilds | undefined;
  let scheduler: Scheduler | undefined;
  let home: HomeService | undefined;
  /** Something a dashboard shows may have changed: one debounced refresh of every viewer's. */
  const homeChanged = () => home?.changed();
  const metrics =
    overrides.metrics ??
    opsMetrics({
      config,
      storage: opened,
      commands: overrides.commands ?? allCommands,
      builds: () => Boolean(builds),
    });
  // Every part uses the storage counted: store errors, review decisions, apply ends, build waits.
  const storage = countedStorage(opened, metrics);
  // Set once the parts /readyz asks exist; the Slack HTTP server serves them from its start.
  let routes: OpsRoutes | undefined;
  // POST /github/webhook: on the Slack HTTP port in HTTP mode, else with the routes on metrics.port.
  let webhook: WebhookRoute | undefined;
  let opsListener: { close(): Promise<void> } | undefined;
  const opsOnSlackPort = config.metrics.port === undefined;
  // Stopped by the fleet or the builds already when either exists (stop is shared); the lease is released.
  const closeParts = async () => {
    await home?.close();
    await fleet?.close();
    await builds?.close();
    await scheduler?.stop();
    if (!overrides.storage) await storage.close();
  };
  try {
    // The demo's repository and node folders exist before the mirror clones the one and nodes use the others.
    const demo = config.demo ? await prepareDemo(config.demo.dir, config.childEnv) : undefined;
    if (demo) logger.info({ ...demo, dir: config.demo?.dir }, 'demo ready');
    const notices: string[] = [];
    if (demo && config.demo) {
      const created = demo.createdRepo ? ' (created just now: three commits, tags v1 and v2)' : '';
      notices.push(
        `(demo: Puppet repository ${demo.repo}${created}; nodes ${DEMO_NODES.join(', ')} run here, in ${config.demo.dir}/nodes. Try /heckler nodes, then /heckler noop v2)`,
      );
    }
    const puppetMissing = puppetMissingNotice(config);
    if (puppetMissing) {
      logger.warn({}, puppetMissing);
      notices.push(puppetMissing);
    }
    const surface =
      overrides.surface ??
      (overrides.chat
        ? headlessSurface(overrides.chat)
        : surfaceFor({
            config,
            logger,
            locks: storage.locks,
            identity,
            notices,
            slack: {
              ...overrides.slack,
              ops: {
                // With metrics.port set they are served there only, not on the public Slack port.
                ops: {
                  handle: (req, res) =>
                    webhook?.handle(req, res) || (opsOnSlackPort && routes?.handle(req, res)) || false,
                },
                onAck: metrics.ackSent,
              },
            },
            ...(overrides.shell ? { shell: overrides.shell } : {}),
          }));
    // Before the mirror clones or Docker is asked: a bot that cannot reach its chat stops here.
    await surface.check();
    const chat = surface.chat;
    // The fleet and builds post and edit through it: each post or edit may change a dashboard.
    const watchedChat = homeWatchedChat(chat, homeChanged);
    // One scheduler for the fleet and the builds, so one lease decides which bot on a shared Redis runs them all.
    scheduler =
      overrides.scheduler === false
        ? undefined
        : (overrides.scheduler ??
          createLeaderScheduler(createBreeScheduler({ logger }), {
            locks: storage.locks,
            ttlMs: config.schedule.leaseTtl,
            clock,
            logger,
          }));
    fleet = await composeFleet({
      config,
      storage,
      logger,
      clock,
      chat: watchedChat,
      onReview: homeChanged,
      schedule: scheduler !== undefined,
      ...(scheduler ? { scheduler } : {}),
      ...(overrides.transport ? { transport: overrides.transport } : {}),
      decorateFleet: countedFleet(metrics),
      ...(overrides.applyMinUpdateMs === undefined ? {} : { minUpdateMs: overrides.applyMinUpdateMs }),
      ...(overrides.replica === undefined ? {} : { replica: overrides.replica }),
    });
    builds = await composeBuilds({
      config,
      storage,
      chat: watchedChat,
      logger,
      clock,
      schedule: scheduler !== undefined,
      ...(scheduler ? { scheduler } : {}),
      ...(fleet?.gate ? { gate: fleet.gate } : {}),
    });
    webhook = composeWebhook({
      config,
      storage,
      logger,
      clock,
      ...(fleet ? { fleet } : {}),
      ...(builds ? { builds } : {}),
    });
    home = composeHome({
      config,
      storage,
      clock,
      logger,
      fleet: () => fleet,
      builds: () => Boolean(builds),
      ...overrides.home,
    });
    // What changes with no message or command (a lock expiring, an apply by another bot) shows within minutes.
    await scheduler?.every('home-refresh', HOME_REFRESH_MS, async () => {
      await home?.refresh();
    });
    const services: Services = {
      home,
      chat,
      config,
      commands: createRegistry(overrides.commands),
      clock,
      logger,
      version: overrides.version ?? packageVersion(),
      nodeLocks: createNodeLocks(storage.locks, clock),
      ...(fleet
        ? {
            fleet: fleet.service,
            repo: fleet.repo,
            reviews: fleet.reviews,
            applies: fleet.applies,
            permadiffs: fleet.permadiffs,
          }
        : {}),
      ...(builds ? { builds: builds.service } : {}),
      doctor: chatDoctor({ config, storage, logger, ...(fleet ? { repo: fleet.repo } : {}) }),
    };
    const dispatched = createDispatcher(services, { metrics });
    // Commands change what dashboards show (locks, ignores, decisions typed): each one may.
    const dispatcher: Dispatcher = {
      ...dispatched,
      dispatch: async (request) => {
        try {
          await dispatched.dispatch(request);
        } finally {
          homeChanged();
        }
      },
    };
    keepHomesFresh(home, chat, logger, dispatched);
    const repo = fleet?.repo;
    routes = opsRoutes({
      metrics,
      storage,
      logger,
      chatConnected: () => surface.connected(),
      ...(repo ? { repo } : {}),
    });
    const applies = fleet?.applies;

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        await surface.stop();
        await opsListener?.close();
        // Deliveries already accepted finish before the fleet and builds they use are closed.
        await webhook?.settled();
        await closeParts();
      })();
      return closing;
    };
    let stopping: Promise<void> | undefined;
    return {
      config,
      logger,
      clock,
      storage,
      surface,
      chat,
      services,
      dispatcher,
      ...(fleet ? { fleet } : {}),
      ...(builds ? { builds } : {}),
      ...(webhook ? { webhook } : {}),
      ...(scheduler ? { scheduler } : {}),
      async start() {
        const started = await surface.start(dispatcher);
        // Socket Mode and the shell have no HTTP server of Slack's: the routes get their own port.
        if (routes && (surface.kind !== 'slack-http' || !opsOnSlackPort)) {
          const ops = routes;
          const hook = surface.kind === 'slack-http' ? undefined : webhook;
          opsListener = await startOpsListener(
            config,
            { handle: (req, res) => hook?.handle(req, res) || ops.handle(req, res) },
            logger,
          );
        }
        if (webhook && surface.kind !== 'slack-http' && config.metrics.port === undefined)
          logger.warn(
            {},
            'GITHUB_WEBHOOK_SECRET is set but nothing serves /github/webhook: set metrics.port',
          );
        logger.info(
          { ...started, surface: surface.kind, store: storage.kind, version: services.version },
          'heckler is listening',
        );
        return started;
      },
      stop(options = {}) {
        stopping ??= (async () => {
          await applies?.shutdown(options.graceMs);
          await close();
        })();
        return stopping;
      },
      close,
    };
  } catch (error) {
    // A part that failed to start (the mirror cannot clone, Docker is down) leaves nothing open behind it.
    await closeParts().catch(() => undefined);
    throw error;
  }
};
