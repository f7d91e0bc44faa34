import { setTimeout as sleep } from 'node:timers/promises';
import { HecklerError } from '../errors.js';
import type { Selector } from '../fleet/inventory.js';
import { PUPPET_BUILD_REPO } from '../gate/rules.js';
import type { NodeLock } from '../locks/node-locks.js';
import type { NodeSpec } from '../ports/index.js';
import { validateRevision } from '../repo/revision.js';
import { type AuditOrigin, auditOrigin, writeAudit } from '../review/audit.js';
import { mention } from '../text/mrkdwn.js';
import { type ApplyServiceDeps, again, createApplyContext, hhmm } from './context.js';
import { type FleetStatus, fleetStatus } from './fleet-status.js';
import { forcedReason } from './plan.js';
import { plannedCommits, planWarnings, rollbackRefusal } from './plan-record.js';
import { gatherPlan } from './planner.js';
import { heldByLiveApply, interruptLeftover } from './reconcile.js';
import { type ApplyRecord, isOver, type SkippedNode } from './records.js';
import { startConfirmed } from './start.js';

export interface PlanRequest {
  revision: string;
  selector: Selector;
  force: boolean;
  user: string;
}

/** A plan with nothing to do: every node is at or beyond REV (or unreadable). */
export interface NothingToApply {
  nothing: true;
  revision: string;
  sha: string;
  skipped: SkippedNode[];
}

export interface ApplyService {
  /** Resolves REV, plans it on the nodes and posts the plan (with Confirm / Cancel unless blocked). */
  plan(request: PlanRequest): Promise<ApplyRecord | NothingToApply>;
  /** Locks the nodes and starts the rollout in the background; a second confirm is `already`. */
  confirm(
    id: number,
    user: string,
    origin?: AuditOrigin,
  ): Promise<{ record: ApplyRecord; result: 'started' | 'already' }>;
  /** The requester or an admin: a plan is dropped, a running apply stops between nodes. */
  cancel(
    id: number,
    user: string,
    admin: boolean,
  ): Promise<{ record: ApplyRecord; result: 'dropped' | 'stopping' | 'already' }>;
  get(id: number): Promise<ApplyRecord | undefined>;
  status(nodes: readonly NodeSpec[]): Promise<FleetStatus>;
  /** At start: applies left running by a stopped bot are interrupted; old plans expire. */
  reconcile(): Promise<{ interrupted: number[]; expired: number[] }>;
  /**
   * SIGTERM: no new work; running node applies get `graceMs` to finish, then Puppet still running
   * on them is killed (and the apply ends interrupted); then records, locks, messages.
   */
  shutdown(graceMs?: number): Promise<void>;
  /** Resolves when no apply runs in this process. */
  idle(): Promise<void>;
  /** Ids of the applies running in this process. */
  running(): number[];
}

export type { ApplyServiceDeps };

/** A cancel request outlives any apply that could read it. */
const CANCEL_REQUEST_TTL_MS = 86_400_000;

export const createApplyService = (deps: ApplyServiceDeps): ApplyService => {
  const { clock, logger, settings } = deps;
  const ctx = createApplyContext(deps);
  const { runs, timers } = ctx;
  /** Claimed here and still taking locks: not in `runs` yet, but not anyone's leftover either. */
  const starting = new Set<number>();

  /** A confirmed `--force` past nodes no review covers, or past a build, goes in the decision log, one entry per commit. */
  const auditForced = async (record: ApplyRecord, user: string, origin: AuditOrigin | undefined) => {
    if (!deps.audit) return;
    for (const blocker of record.overridden ?? []) {
      const review = await deps.reviews.get(blocker.sha);
      await writeAudit(deps.audit, {
        at: clock.now(),
        sha: blocker.sha,
        shortSha: blocker.shortSha,
        user,
        action: 'apply_forced',
        deltaHash: review?.deltaHash ?? '',
        reason: forcedReason(record.id, blocker, PUPPET_BUILD_REPO),
        via: 'command',
        ...auditOrigin(origin),
      });
    }
  };

  const service: ApplyService = {
    async plan(request) {
      await deps.repo.fetch();
      const sha = await deps.repo.resolve(validateRevision(request.revision));
      const commit = await deps.repo.commit(sha);
      const targets = await deps.fleet.select(request.selector);
      const gathered = await gatherPlan(deps, { sha, targets, force: request.force });
      const { plan } = gathered;
      const names = gathered.names.get(sha) ?? [];
      if (plan.rollbacks.length > 0) throw rollbackRefusal(request.revision, plan, gathered.names);
      if (plan.nodes.length === 0)
        return { nothing: true, revision: request.revision, sha, skipped: plan.skipped };
      const now = clock.now();
      const warnings = planWarnings(plan, await deps.nodeLocks.list(), clock);
      const record = await deps.records.create({
        revision: request.revision,
        sha,
        shortSha: commit.shortSha,
        subject: commit.subject,
        names,
        requestedBy: request.user,
        selector: request.selector,
        force: request.force,
        fleetHash: gathered.fleetHash,
        nodes: plan.nodes,
        skipped: plan.skipped,
        commits: plannedCommits(gathered),
        blockers: plan.blockers,
        ...(plan.overridden.length > 0 ? { overridden: plan.overridden } : {}),
        warnings,
        status: 'planned',
        plannedAt: now,
        expiresAt: now + settings.confirmTimeout,
        stages: [],
        channel: deps.channel,
      });
      await ctx.showNow(record);
      await ctx.save(record);
      ctx.armExpiry(record);
      logger.info(
        { apply: record.id, sha, nodes: plan.nodes.length, blockers: plan.blockers.length },
        'apply planned',
      );
      return record;
    },
    confirm: (id, user, origin) =>
      ctx.serialized(id, async () => {
        const record = await ctx.mustGet(id);
        if (record.status === 'expired')
          throw new HecklerError(
            'PLAN_EXPIRED',
            `plan #${id} expired at ${hhmm(record.expiresAt)}${record.note ? ` (${record.note})` : ''}`,
            { hint: again(record) },
          );
        if (record.status === 'cancelled' && record.confirmedAt === undefined)
          throw new HecklerError(
            'USAGE',
            `plan #${id} was cancelled by ${mention(record.cancelledBy ?? '?')}`,
            {
              hint: again(record),
            },
          );
        if (record.status !== 'planned') return { record, result: 'already' as const };
        if (ctx.stopping)
          throw new HecklerError('USAGE', 'the bot is shutting down and starts no apply', {
            hint: 'confirm again once it is back',
          });
        if (clock.now() > record.expiresAt) {
          await ctx.expire(record);
          throw new HecklerError('PLAN_EXPIRED', `plan #${id} expired at ${hhmm(record.expiresAt)}`, {
            hint: again(record),
          });
        }
        if (record.blockers.length > 0)
          throw new HecklerError(
            'PLAN_BLOCKED',
            `plan #${id} is blocked: ${record.blockers.length} commit${record.blockers.length === 1 ? ' is' : 's are'} not approved for the fleet as it is`,
            {
              hint: `its message says what would unblock it; then ${again(record)}`,
            },
          );
        // Replicas may get the same Confirm at once: the one whose claim lands starts the apply.
        let won = false;
        const claimed = await deps.records.update(id, (current) => {
          won = current.status === 'planned';
          return won
            ? {
                ...current,
                status: 'confirmed',
                confirmedBy: user,
                confirmedAt: clock.now(),
                ...(deps.replica === undefined ? {} : { runner: deps.replica }),
              }
            : undefined;
        });
        if (!won || !claimed) return { record: claimed ?? record, result: 'already' as const };
        starting.add(id);
        try {
          await startConfirmed(ctx, claimed, user);
        } catch (error) {
          // Not started (blocked, or the fleet moved): the claim is undone so it can be confirmed
          // again; an expired plan stays expired.
          if (claimed.status === 'confirmed') {
            const { confirmedBy: _, confirmedAt: __, runner: ___, ...planned } = claimed;
            await ctx.save({ ...planned, status: 'planned' });
          }
          throw error;
        } finally {
          starting.delete(id);
        }
        await auditForced(claimed, user, origin);
        return { record: claimed, result: 'started' as const };
      }),
    cancel: (id, user, admin) =>
      ctx.serialized(id, async () => {
        const record = await ctx.mustGet(id);
        if (user !== record.requestedBy && !admin)
          throw new HecklerError(
            'NOT_AUTHORIZED',
            `only ${mention(record.requestedBy)}, who asked for apply #${id}, or an admin may cancel it`,
          );
        if (record.status === 'planned') {
          // A confirm on another replica may land first: then this is a running apply, not a plan.
          const dropped = await deps.records.update(id, (current) =>
            current.status === 'planned'
              ? { ...current, status: 'cancelled', cancelledBy: user, cancelledAt: clock.now() }
              : undefined,
          );
          if (dropped?.status === 'cancelled' && dropped.cancelledBy === user) {
            ctx.disarm(id);
            await ctx.showNow(dropped);
            await ctx.save(dropped);
            return { record: dropped, result: 'dropped' as const };
          }
          if (dropped) Object.assign(record, dropped);
        }
        const running = runs.get(id);
        if (running) {
          running.cancel(user);
          return { record: running.record, result: 'stopping' as const };
        }
        if (isOver(record.status)) return { record, result: 'already' as const };
        if (deps.cancelRequests && record.runner !== undefined && record.runner !== deps.replica) {
          // Another replica runs it: it reads this request between nodes and stops as for a local cancel.
          await deps.cancelRequests.set(String(id), { by: user, at: clock.now() }, CANCEL_REQUEST_TTL_MS);
          logger.info(
            { apply: id, by: user, runner: record.runner },
            'cancel passed to the replica running it',
          );
          return { record, result: 'stopping' as const };
        }
        throw new HecklerError(
          'NOT_FOUND',
          `apply #${id} is ${record.status} but not running in this bot process`,
          {
            hint: 'a restart marks it interrupted; its locks expire by themselves',
          },
        );
      }),
    get: (id) => deps.records.get(id),
    status: (nodes) => fleetStatus({ fleet: deps.fleet, repo: deps.repo, nodeLocks: deps.nodeLocks }, nodes),
    async reconcile() {
      /**
       * Whether a confirmed or running apply not running here was left by a stopped bot: ours
       * from before a restart (or one bot per store), or another replica's whose node locks have
       * run out — a live replica renews them, and one just confirmed may still be taking them.
       */
      const leftBy = (record: ApplyRecord, locks: readonly NodeLock[] | undefined): boolean => {
        if (record.runner === undefined || record.runner === deps.replica) return true;
        if (locks === undefined || heldByLiveApply(record.id, locks, clock.now())) return false;
        return clock.now() - (record.confirmedAt ?? 0) > settings.lockTtl;
      };
      const interrupted: number[] = [];
      const expired: number[] = [];
      const locks = await deps.nodeLocks.list().catch((error: unknown) => {
        logger.warn(
          { err: error },
          'could not list node locks: applies of other replicas are left as they are',
        );
        return undefined;
      });
      for (const record of await deps.records.list({ status: ['planned', 'confirmed', 'running'] })) {
        if (runs.has(record.id) || starting.has(record.id)) continue;
        if (record.status === 'planned') {
          if (clock.now() >= record.expiresAt) {
            await ctx.expire(record);
            expired.push(record.id);
          } else ctx.armExpiry(record);
          continue;
        }
        if (!leftBy(record, locks)) continue;
        interruptLeftover(record, locks ?? [], clock.now());
        await ctx.save(record);
        await ctx.showNow(record);
        if (record.message) {
          await deps.chat
            .reply(record.message, deps.views.event(record, { kind: 'interrupted' }))
            .catch((error: unknown) => logger.warn({ err: error, apply: record.id }, 'could not reply'));
        }
        interrupted.push(record.id);
      }
      if (interrupted.length + expired.length > 0)
        logger.info({ interrupted, expired }, 'applies reconciled');
      return { interrupted, expired };
    },
    async shutdown(graceMs = settings.shutdownGrace) {
      ctx.stopping = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      const active = [...runs.values()];
      for (const running of active) running.stopTaking();
      const grace = sleep(graceMs, undefined, { ref: false });
      await Promise.all(
        active.map(async (running) => {
          const inTime = await Promise.race([running.ended.then(() => true), grace.then(() => false)]);
          if (inTime) await running.done;
          else await running.interrupt(graceMs);
        }),
      );
      await ctx.saved();
    },
    idle: async () => {
      while (runs.size > 0) await Promise.all([...runs.values()].map((running) => running.done));
    },
    running: () => [...runs.keys()],
  };
  return service;
};
