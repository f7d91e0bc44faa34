import { HecklerError } from '../errors.js';
import { applyStages } from '../fleet/apply-order.js';
import { type ApplyContext, again } from './context.js';
import { holdNodeLocks } from './held-locks.js';
import { lockPlanNodes } from './lock-plan.js';
import { blockersOf, bringingOf, type ReviewFacts } from './plan.js';
import { readFleet } from './planner.js';
import { createApplyProgress } from './progress.js';
import type { ApplyRecord, StageRecord } from './records.js';
import { reviewFacts } from './review-facts.js';
import { type RunningApply, startApply } from './run-apply.js';

/** The fleet or the reviews may have moved since the plan was made: it must still hold. */
const revalidate = async (ctx: ApplyContext, record: ApplyRecord) => {
  const { fleetHash } = await readFleet(ctx.deps.fleet);
  if (fleetHash !== record.fleetHash) {
    await ctx.expire(record, 'the fleet changed after this plan was made');
    throw new HecklerError(
      'PLAN_EXPIRED',
      `the fleet changed after plan #${record.id} was made (an apply or a failed run since): its plan no longer holds`,
      { hint: `${again(record)} for a fresh plan` },
    );
  }
  const reviews = new Map<string, ReviewFacts>();
  for (const commit of record.commits) {
    const review = await ctx.deps.reviews.get(commit.sha);
    if (review) reviews.set(commit.sha, reviewFacts(review));
  }
  const commits = new Map(record.commits.map((commit) => [commit.sha, commit]));
  const blockers = blockersOf(
    record.commits.map((commit) => commit.sha),
    { commits, reviews, fleetHash, bringing: bringingOf(record.nodes), force: record.force },
  );
  if (blockers.length === 0) return;
  record.blockers = blockers;
  await ctx.save(record);
  await ctx.showNow(record);
  throw new HecklerError(
    'PLAN_BLOCKED',
    `plan #${record.id} is blocked now: ${blockers.length} commit${blockers.length === 1 ? '' : 's'} not approved`,
    { hint: 'its message says what would unblock it' },
  );
};

const concurrencyOf = (setting: number | Record<string, number>) => (stage: string) =>
  typeof setting === 'number' ? setting : (setting[stage] ?? setting.default ?? 10);

/**
 * A confirmed plan: its nodes locked, the plan checked again under the locks (nothing can move
 * those nodes between the check and the run), its stages computed now (a set defined by a
 * command is asked now), and the rollout started in the background.
 */
export const startConfirmed = async (ctx: ApplyContext, record: ApplyRecord, user: string): Promise<void> => {
  const { deps } = ctx;
  const { clock, logger, settings } = deps;
  const { locked, skipped } = await lockPlanNodes(
    { nodeLocks: deps.nodeLocks, clock, settings },
    record,
    user,
  );
  const held = holdNodeLocks(locked, { ttlMs: settings.lockTtl, logger });
  const specs = new Map(deps.fleet.nodes().map((spec) => [spec.name, spec]));
  let stages: StageRecord[];
  try {
    await revalidate(ctx, record);
    const lockedNames = new Set(locked.map(({ node }) => node));
    const targets = record.nodes.flatMap((node) => {
      const spec = specs.get(node.node);
      return spec && lockedNames.has(node.node) ? [spec] : [];
    });
    stages = (await applyStages(targets, deps.inventory)).map((stage) => ({
      name: stage.name,
      status: 'pending',
      nodes: stage.nodes.map((spec) => ({ node: spec.name, status: 'pending' })),
    }));
  } catch (error) {
    await held.release();
    throw error;
  }
  const now = clock.now();
  Object.assign(record, { status: 'running', confirmedBy: user, confirmedAt: now, startedAt: now, stages });
  record.skipped.push(...skipped);
  ctx.disarm(record.id);
  await ctx.save(record);
  const progress = createApplyProgress(record, {
    chat: deps.chat,
    views: deps.views,
    clock,
    logger,
    ...(deps.minUpdateMs === undefined ? {} : { minUpdateMs: deps.minUpdateMs }),
  });
  progress.changed();
  const running = startApply(
    record,
    held,
    progress,
    {
      fleet: deps.fleet,
      specs,
      clock,
      logger: logger.child({ apply: record.id }),
      concurrencyOf: concurrencyOf(settings.concurrency),
      failureThreshold: settings.failureThreshold,
      save: ctx.save,
    },
    skipped,
  );
  ctx.runs.set(record.id, running);
  const stopWatching = watchCancelRequests(ctx, record.id, running);
  void running.done.finally(() => {
    stopWatching();
    ctx.runs.delete(record.id);
  });
  logger.info({ apply: record.id, sha: record.sha, nodes: locked.length, by: user }, 'apply started');
};

/** How often a running apply reads the cancels other replicas passed on (a Cancel that landed elsewhere). */
export const CANCEL_POLL_MS = 2_000;

const watchCancelRequests = (ctx: ApplyContext, id: number, running: RunningApply): (() => void) => {
  const requests = ctx.deps.cancelRequests;
  if (!requests) return () => {};
  const timer = setInterval(() => {
    requests
      .get(String(id))
      .then(async (request) => {
        if (!request) return;
        running.cancel(request.by);
        await requests.delete(String(id));
      })
      .catch((error: unknown) =>
        ctx.deps.logger.warn({ err: error, apply: id }, 'could not read cancels passed on by other bots'),
      );
  }, CANCEL_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
};
