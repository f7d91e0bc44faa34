import { showMessage } from '../chat/show-message.js';
import { HecklerError } from '../errors.js';
import type { InventoryContext } from '../fleet/inventory.js';
import type { NodeLocks } from '../locks/node-locks.js';
import type { Chat, Clock, CodeRepo, Logger, Store } from '../ports/index.js';
import type { AuditEntry } from '../review/records.js';
import type { ReviewService } from '../review/service.js';
import type { FleetService } from '../runs/fleet-service.js';
import { escapeText } from '../text/mrkdwn.js';
import type { PlannerDeps } from './planner.js';
import type { ApplyViews } from './progress.js';
import type { ApplyRecord, ApplyRecords } from './records.js';
import type { RunningApply } from './run-apply.js';
import type { ApplySettings } from './settings.js';

export interface ApplyServiceDeps {
  repo: CodeRepo;
  fleet: FleetService;
  reviews: Pick<ReviewService, 'get'>;
  nodeLocks: NodeLocks;
  records: ApplyRecords;
  chat: Chat;
  views: ApplyViews;
  settings: ApplySettings;
  /** Where plans, progress and summaries go. */
  channel: string;
  /** For the stages (`fleet.applyOrder`) and sets defined by a command. */
  inventory: InventoryContext;
  clock: Clock;
  logger: Logger;
  /** Edits of one status message at most this often (default 1 s). */
  minUpdateMs?: number;
  /** The decision log: a forced apply past unreviewed nodes is written there. */
  audit?: Store<AuditEntry>;
  /** Each commit's own build (the build gate, repo.build), for `settings.requireBuild`. */
  builds?: PlannerDeps['builds'];
  /**
   * Which bot this is among replicas, the same across its restarts (host and data directory):
   * a restart reconciles its own leftover applies at once, another replica's only once that
   * replica's locks have run out. Absent: every leftover is this bot's (one bot per store).
   */
  replica?: string;
  /**
   * Cancels asked of an apply another replica runs, by apply id: that replica reads them while
   * it runs (every CANCEL_POLL_MS) and stops between nodes. Absent: a cancel works only where
   * the apply runs.
   */
  cancelRequests?: Store<CancelRequest>;
}

/** A Cancel clicked or typed on a replica that does not run the apply. */
export interface CancelRequest {
  by: string;
  /** Epoch milliseconds. */
  at: number;
}

/** What the parts of the apply service share in one process: running applies, timers, writes. */
export interface ApplyContext {
  deps: ApplyServiceDeps;
  runs: Map<number, RunningApply>;
  /** Plans' expiry timers. */
  timers: Map<number, NodeJS.Timeout>;
  /** SIGTERM came: no apply starts any more. */
  stopping: boolean;
  /** One change to an apply at a time in this process (a double click, a cancel racing a confirm). */
  serialized<T>(id: number, work: () => Promise<T>): Promise<T>;
  /** Writes in the order asked, each a snapshot of the record then. */
  save(record: ApplyRecord): Promise<void>;
  /** Every write asked for so far. */
  saved(): Promise<unknown>;
  /** Edits the apply's message now (posts it when it has none). */
  showNow(record: ApplyRecord): Promise<void>;
  mustGet(id: number): Promise<ApplyRecord>;
  expire(record: ApplyRecord, note?: string): Promise<void>;
  armExpiry(record: ApplyRecord): void;
  disarm(id: number): void;
}

export const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
/** Mrkdwn, for hints: the revision as typed, escaped. */
export const again = (record: ApplyRecord) => `run \`/heckler apply ${escapeText(record.revision)}\` again`;

export const createApplyContext = (deps: ApplyServiceDeps): ApplyContext => {
  const { clock, logger } = deps;
  const queues = new Map<number, Promise<unknown>>();
  let saves: Promise<unknown> = Promise.resolve();
  const ctx: ApplyContext = {
    deps,
    runs: new Map(),
    timers: new Map(),
    stopping: false,
    serialized(id, work) {
      const next = (queues.get(id) ?? Promise.resolve()).then(work, work);
      queues.set(
        id,
        next.catch(() => undefined),
      );
      return next;
    },
    save(record) {
      const snapshot = structuredClone(record);
      const next = saves.then(() => deps.records.save(snapshot));
      saves = next.catch(() => undefined);
      return next;
    },
    saved: () => saves,
    async showNow(record) {
      await showMessage(deps.chat, record, record.channel, deps.views.status(record, clock.now()), {
        logger,
        context: { apply: record.id },
        what: 'the apply',
      });
    },
    async mustGet(id) {
      const record = await deps.records.get(id);
      if (!record)
        throw new HecklerError('NOT_FOUND', `there is no apply #${id}`, {
          hint: 'plans are numbered in their message: "Apply plan #4"',
        });
      return record;
    },
    async expire(record, note) {
      ctx.disarm(record.id);
      // From the state the caller saw only: another replica may have confirmed the plan since.
      const seen = record.status;
      const stored = await deps.records.update(record.id, (current) =>
        current.status === seen ? { ...current, status: 'expired', ...(note ? { note } : {}) } : undefined,
      );
      if (stored?.status !== 'expired') return;
      Object.assign(record, stored);
      await ctx.showNow(record);
      await ctx.save(record);
    },
    armExpiry(record) {
      const expireLater = () =>
        ctx
          .serialized(record.id, async () => {
            const latest = await deps.records.get(record.id);
            if (latest?.status === 'planned' && clock.now() >= latest.expiresAt) await ctx.expire(latest);
          })
          .catch((error: unknown) =>
            logger.warn({ err: error, apply: record.id }, 'could not expire a plan'),
          );
      // The periodic reconcile arms again: one timer per plan.
      clearTimeout(ctx.timers.get(record.id));
      const timer = setTimeout(expireLater, Math.max(0, record.expiresAt - clock.now()) + 50);
      timer.unref();
      ctx.timers.set(record.id, timer);
    },
    disarm(id) {
      clearTimeout(ctx.timers.get(id));
      ctx.timers.delete(id);
    },
  };
  return ctx;
};
