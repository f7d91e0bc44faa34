import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { openMirror } from '../adapters/git/mirror.js';
import { githubForPuppetRepo } from '../adapters/github/puppet-repo.js';
import { createBreeScheduler } from '../adapters/schedule/bree.js';
import { createLocalTransport } from '../adapters/transport/local.js';
import { createSshTransport } from '../adapters/transport/ssh.js';
import { createGroupingPool } from '../adapters/workers/grouping-pool.js';
import { slackAckWaits } from '../bot/slack/call.js';
import { applyViews } from '../commands/views/apply-progress.js';
import { ownerGroupsMessage, ownerPingMessage } from '../commands/views/owner-ping.js';
import { pushSummaryMessage } from '../commands/views/push-summary.js';
import { reviewMessage } from '../commands/views/review.js';
import type { Config } from '../config/schema.js';
import type { CancelRequest } from '../engine/apply/context.js';
import { type ApplyRecord, createApplyRecords } from '../engine/apply/records.js';
import { type ApplyService, createApplyService } from '../engine/apply/service.js';
import type { StoredChange } from '../engine/changes/hash.js';
import type { HashedReport } from '../engine/changes/record.js';
import { createChangeStore } from '../engine/changes/store.js';
import type { StoredIgnore } from '../engine/delta/ignores.js';
import {
  createReviewStatuses,
  type ReviewStatuses,
  withReviewStatuses,
} from '../engine/gate/review-statuses.js';
import { gatedReviews } from '../engine/gate/reviews.js';
import type { BuildGate } from '../engine/gate/service.js';
import { createIgnoreService } from '../engine/ignores/service.js';
import { createNodeLocks } from '../engine/locks/node-locks.js';
import {
  createPermadiffService,
  type PermadiffService,
  type ScanSummary,
} from '../engine/permadiffs/service.js';
import type { PermadiffGroup } from '../engine/permadiffs/state.js';
import type { Chat, Clock, CodeRepo, Logger, NodeTransport } from '../engine/ports/index.js';
import type { Scheduler } from '../engine/ports/scheduler.js';
import type { NormalizedReport } from '../engine/puppet/index.js';
import { nodeDefinitionsAt } from '../engine/review/node-definitions-at.js';
import { createNoopCache } from '../engine/review/noop-cache.js';
import { createOwnerPings, type OwnerPings, type PingRecord } from '../engine/review/owner-pings.js';
import type { AuditEntry, ReviewRecord } from '../engine/review/records.js';
import { createReviewService, type ReviewService } from '../engine/review/service.js';
import type { AppliedState } from '../engine/runs/applied-state.js';
import { createFleetService, type FleetService, type LastNoop } from '../engine/runs/fleet-service.js';
import type { Storage } from '../storage/keyv.js';
import { composeBuildGate, reviewBuildGate } from './builds.js';
import { composeDigest } from './permadiff-digest.js';

const run = promisify(execFile);
/** A noop stays valid while its (node, commit, applied revision) does; a week bounds the store. */
const NOOP_CACHE_TTL_MS = 7 * 86_400_000;
/** How often the leader looks for owners to remind (approvals.remindAfter, once a day within remindHours). */
const REMIND_CHECK_MS = 10 * 60_000;

/** Sends each node's commands through its own transport, creating SSH only when a node needs it. */
export const routeByNode = (make: {
  ssh: () => NodeTransport;
  local: () => NodeTransport;
}): NodeTransport => {
  const made = new Map<'ssh' | 'local', NodeTransport>();
  const of = (kind: 'ssh' | 'local') => {
    let transport = made.get(kind);
    if (!transport) {
      transport = make[kind]();
      made.set(kind, transport);
    }
    return transport;
  };
  return {
    exec: (node, command, options) => of(node.transport).exec(node, command, options),
    check: (node) => of(node.transport).check(node),
    close: async () => {
      await Promise.all([...made.values()].map((transport) => transport.close()));
    },
  };
};

/** The nodes' transports as heckler.yml makes them: ssh (with its host key policy) or local, per node. */
export const configTransport = (config: Config, logger: Logger): NodeTransport => {
  const { ssh } = config.fleet;
  return routeByNode({
    ssh: () =>
      createSshTransport({
        knownHostsPath: ssh.knownHosts,
        hostKeys: ssh.hostKeys,
        concurrency: ssh.concurrency,
        connectTimeoutMs: ssh.connectTimeout,
        keepaliveMs: ssh.keepalive,
        logger,
      }),
    local: () => createLocalTransport(),
  });
};

export interface ComposedFleet {
  service: FleetService;
  reviews: ReviewService;
  applies: ApplyService;
  permadiffs: PermadiffService;
  /** Owner pings of waiting reviews, and their reminders (scheduled on the leader). */
  pings: OwnerPings;
  /** The Puppet repository's mirror. */
  repo: CodeRepo;
  /** repo.build: its commits' builds (composeBuilds attaches the build service). */
  gate?: BuildGate;
  /** `heckler/review` commit statuses, when the repository is on GitHub and GITHUB_TOKEN is set. */
  reviewStatuses?: ReviewStatuses;
  close(): Promise<void>;
}

/**
 * The Puppet half, when heckler.yml names a repository. Applies left running by a stopped bot
 * are reconciled here (marked interrupted, their messages updated).
 */
export const composeFleet = async (options: {
  config: Config;
  storage: Storage;
  logger: Logger;
  clock: Clock;
  chat: Chat;
  /** Poll the repository for new commits and re-noop stale reviews in the background (the bot does; tests drive it). */
  schedule?: boolean;
  /** The scheduler `schedule` uses; the bot passes the one it shares with the builds (bree otherwise). */
  scheduler?: Scheduler;
  /** Edits of an apply's status message at most this often (default 1 s). */
  minUpdateMs?: number;
  /** Which replica this is (default: host and data directory, the same across restarts). */
  replica?: string;
  /** Instead of SSH or local per node (tests); closed with the fleet. */
  transport?: NodeTransport;
  /** Wraps the fleet service every part uses (the bot: each node run timed for /metrics). */
  decorateFleet?: (service: FleetService) => FleetService;
  /** Told of every review shown, after its owner pings (the App Home dashboard). */
  onReview?: (record: ReviewRecord) => void;
}): Promise<ComposedFleet | undefined> => {
  const { config, storage, logger, clock } = options;
  if (!config.repo) return undefined;
  const repo = await openMirror({
    url: config.repo.url,
    dir: config.repo.mirrorDir ?? join(config.storage.dataDir, 'mirror'),
    track: { branch: config.repo.branch },
    logger,
    env: config.childEnv,
  });
  // Makes nothing until a node is used, so an injected transport leaves it idle.
  const transport = options.transport ?? configTransport(config, logger);
  const runCommand = async (command: string) =>
    (await run('sh', ['-c', command], { timeout: 30_000, env: config.childEnv })).stdout;
  const created = createFleetService({
    repo,
    transport,
    fleet: config.fleet,
    puppet: config.puppet,
    applied: storage.store<AppliedState>('applied'),
    noops: storage.store<LastNoop>('last-noop'),
    runCommand,
    clock,
    logger,
    locks: storage.locks,
  });
  const service = options.decorateFleet ? options.decorateFleet(created) : created;
  const github = githubForPuppetRepo({ repo: config.repo, token: config.secrets.githubToken, logger });
  // A review's grouping runs in a worker thread, and its steps on this thread wait until Slack's
  // requests that have arrived are acked, so acks never queue behind it (issue 14 §3).
  const grouping = createGroupingPool({
    size: 1,
    logger: logger.child({ part: 'workers' }),
    later: slackAckWaits.turn,
  });
  const gate = composeBuildGate({ config, storage, chat: options.chat, logger });
  const permalink = options.chat.permalink?.bind(options.chat);
  const pings = createOwnerPings({
    chat: options.chat,
    store: storage.store<PingRecord>('owner-pings'),
    clock,
    logger: logger.child({ part: 'owner-pings' }),
    views: { owner: ownerPingMessage(reviewBuildGate(config)), groups: ownerGroupsMessage },
    pending: () => reviews.pending(),
    reminders: {
      afterMs: config.approvals.remindAfter,
      hours: config.approvals.remindHours,
      timeZone: config.approvals.timezone,
    },
    ...(permalink ? { permalink } : {}),
  });
  // One content-addressed store of change bodies: noops cached for reviews and scans name keys in it.
  const changes = createChangeStore({ store: storage.store<StoredChange>('changes'), clock });
  const createdReviews = createReviewService({
    onReview: async (record) => {
      await pings.onReview(record);
      options.onReview?.(record);
    },
    offload: grouping,
    repo,
    fleet: service,
    cache: createNoopCache({
      fleet: service,
      store: storage.store<HashedReport | NormalizedReport>('noops'),
      ttlMs: NOOP_CACHE_TTL_MS,
      changes,
      turn: grouping.turn,
    }),
    chat: options.chat,
    channel: config.approvals.channel ?? config.chat.channel,
    reviews: storage.store<ReviewRecord>('reviews'),
    cursor: storage.store<string>('review-cursor'),
    audit: storage.store<AuditEntry>('audit'),
    ignores: createIgnoreService({
      store: storage.store<StoredIgnore>('ignores'),
      audit: storage.store<AuditEntry>('audit'),
      clock,
    }),
    clock,
    logger,
    approvals: config.approvals,
    roles: { admins: config.roles.admins, approvers: config.roles.approvers },
    modulePaths: config.puppet.modulepath,
    present: (record) => reviewMessage(record, config.roles, reviewBuildGate(config)),
    pushes: {
      reviewsPerPoll: config.approvals.reviewsPerPoll,
      summarizeOver: config.approvals.summarizeOver,
    },
    presentPush: pushSummaryMessage,
    nodeDefinitions: nodeDefinitionsAt(repo, config.puppet.manifest, logger),
    ...(github ? { githubIdentity: (sha: string) => github.host.commitIdentity(github.repo, sha) } : {}),
    ...(options.chat.permalink ? { permalink: options.chat.permalink.bind(options.chat) } : {}),
  });
  // Every reviewed commit gets `heckler/review` on GitHub, linked to its message (issue 11).
  const { users } = config;
  const reviewStatuses = github
    ? createReviewStatuses({
        host: github.host,
        repo: github.repo,
        nameOf: (id) => (users[id] ? `@${users[id]}` : id),
        ...(options.chat.permalink ? { permalink: options.chat.permalink.bind(options.chat) } : {}),
        logger: logger.child({ part: 'review-status' }),
      })
    : undefined;
  // repo.build: each commit reviewed is built too (issue 12).
  const reviews = withReviewStatuses(gatedReviews(createdReviews, gate), reviewStatuses);
  // Its own cache object over the reviews' namespace: a noop of a node's applied revision made for
  // a review serves the scan, and the other way round.
  const permadiffs = createPermadiffService({
    repo,
    fleet: service,
    cache: createNoopCache({
      fleet: service,
      store: storage.store<HashedReport | NormalizedReport>('noops'),
      ttlMs: NOOP_CACHE_TTL_MS,
      changes,
      turn: grouping.turn,
    }),
    groups: storage.store<PermadiffGroup>('permadiffs'),
    scans: storage.store<ScanSummary>('permadiff-scans'),
    minRuns: config.permadiffs.minRuns,
    owners: {
      chatIds: config.approvals.owners,
      modulePaths: config.puppet.modulepath,
      nodeDefinitions: nodeDefinitionsAt(repo, config.puppet.manifest, logger),
    },
    clock,
    logger: logger.child({ part: 'permadiffs' }),
    offload: grouping,
  });
  const applies = createApplyService({
    repo,
    fleet: service,
    reviews,
    nodeLocks: createNodeLocks(storage.locks, clock),
    records: createApplyRecords({
      records: storage.store<ApplyRecord>('applies'),
      counter: storage.store<number>('apply-counter'),
    }),
    chat: options.chat,
    views: applyViews,
    settings: config.apply,
    channel: config.apply.channel ?? config.chat.channel,
    inventory: { fleet: config.fleet, runCommand },
    clock,
    logger: logger.child({ part: 'apply' }),
    audit: storage.store<AuditEntry>('audit'),
    ...(gate ? { builds: gate } : {}),
    ...(options.minUpdateMs === undefined ? {} : { minUpdateMs: options.minUpdateMs }),
    replica: options.replica ?? `${hostname()}:${resolve(config.storage.dataDir)}`,
    cancelRequests: storage.store<CancelRequest>('apply-cancels'),
  });
  await applies
    .reconcile()
    .catch((error: unknown) =>
      logger.warn({ err: error }, 'could not reconcile applies left by a stopped bot'),
    );
  const digest = composeDigest({
    config,
    storage,
    chat: options.chat,
    clock,
    logger,
    permadiffs,
    reviews,
    applies,
  });
  const scheduler = options.schedule ? (options.scheduler ?? createBreeScheduler({ logger })) : undefined;
  if (scheduler && config.repo) {
    const backfill = config.approvals.backfill;
    await scheduler.every('puppet-commits', config.repo.fetchEvery, async () => {
      await reviews.pollNewCommits(backfill);
      await reviews.refreshStale();
    });
    await scheduler.every('owner-reminders', REMIND_CHECK_MS, async () => {
      await pings.remind();
    });
    await scheduler.every('permadiff-scan', config.permadiffs.scanEvery, () => permadiffs.scheduled());
    // A replica that died mid-apply leaves it `running`: once its node locks run out, the leader marks it.
    await scheduler.every('apply-reconcile', config.apply.lockTtl, async () => {
      await applies.reconcile();
    });
    const { digest: when } = config.permadiffs;
    if (when)
      await scheduler.cron('permadiff-digest', { expression: when.cron, timezone: when.timezone }, () =>
        digest.scheduled(),
      );
  }
  return {
    repo,
    service,
    reviews,
    applies,
    permadiffs: { ...permadiffs, digest },
    pings,
    ...(gate ? { gate } : {}),
    ...(reviewStatuses ? { reviewStatuses } : {}),
    close: async () => {
      await scheduler?.stop();
      await transport.close();
      await grouping.close();
      repo.close();
    },
  };
};
