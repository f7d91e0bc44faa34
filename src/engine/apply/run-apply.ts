import { errorMrkdwn } from '../errors.js';
import type { Clock, Logger, NodeSpec } from '../ports/index.js';
import type { FleetService } from '../runs/fleet-service.js';
import { escapeText, mention } from '../text/mrkdwn.js';
import type { HeldNodeLocks } from './held-locks.js';
import type { ApplyProgress } from './progress.js';
import type { ApplyRecord, ApplyStatus, SkippedNode } from './records.js';
import { runRollout } from './rollout.js';

export interface RunApplyDeps {
  fleet: Pick<FleetService, 'runOne'>;
  specs: ReadonlyMap<string, NodeSpec>;
  clock: Clock;
  logger: Logger;
  concurrencyOf(stage: string): number;
  failureThreshold: number;
  /** Persists the record (the caller serializes writes). */
  save(record: ApplyRecord): Promise<void>;
}

/** An apply running in this process. */
export interface RunningApply {
  record: ApplyRecord;
  /** No further node starts; those left are not run. */
  cancel(user: string): void;
  /** Bot shutdown: no further node starts. */
  stopTaking(): void;
  /** Gives up on nodes still running (the grace period is over): the apply ends interrupted. */
  interrupt(): Promise<void>;
  /** The rollout has ended (every node it started has finished, or it was interrupted). */
  readonly ended: Promise<void>;
  /** Saved, locks released, message final, summary posted. */
  readonly done: Promise<void>;
}

const SHUTDOWN = 'the bot is shutting down';

/**
 * Runs a confirmed, locked apply in the background: the rollout, the record after every node,
 * the status message, and at the end the final status, the locks released and the summary.
 */
export const startApply = (
  record: ApplyRecord,
  held: HeldNodeLocks,
  progress: ApplyProgress,
  deps: RunApplyDeps,
  lockedOut: readonly SkippedNode[],
): RunningApply => {
  const { clock } = deps;
  let cancelledBy: string | undefined;
  let shuttingDown = false;
  let finished = false;
  let resolveEnded: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    resolveEnded = resolve;
  });

  const stopReason = () =>
    cancelledBy !== undefined ? `cancelled by ${mention(cancelledBy)}` : shuttingDown ? SHUTDOWN : undefined;

  const finish = async (status: ApplyStatus, note?: string) => {
    if (finished) return;
    finished = true;
    resolveEnded();
    record.status = status;
    record.finishedAt = clock.now();
    if (note !== undefined) record.note = note;
    await deps
      .save(record)
      .catch((error: unknown) =>
        deps.logger.error({ err: error, apply: record.id }, 'could not save the apply'),
      );
    await held.release();
    if (status === 'interrupted') progress.reply({ kind: 'interrupted' });
    await progress.finish();
    deps.logger.info({ apply: record.id, status }, 'apply finished');
  };

  const changed = () => {
    if (finished) return;
    void deps
      .save(record)
      .catch((error: unknown) =>
        deps.logger.warn({ err: error, apply: record.id }, 'could not save the apply'),
      );
    progress.changed();
  };

  const run = async () => {
    if (lockedOut.length > 0) progress.reply({ kind: 'locked', skipped: [...lockedOut] });
    const end = await runRollout(record, {
      fleet: deps.fleet,
      specs: deps.specs,
      clock,
      concurrencyOf: deps.concurrencyOf,
      failureThreshold: deps.failureThreshold,
      stopReason,
      lockLost: (node) => held.lost(node),
      changed,
      nodeFailed: (stage, result) => {
        if (!finished) progress.reply({ kind: 'failure', stage, result });
      },
      stageEnded: (stage) => {
        if (!finished) progress.reply({ kind: 'stage', stage });
      },
    });
    const results = record.stages.flatMap((stage) => stage.nodes);
    const failed = results.some((result) => result.status === 'failed');
    const cut = results.some((result) => result.status === 'not_run');
    if (cut && cancelledBy !== undefined) {
      record.cancelledBy = cancelledBy;
      await finish('cancelled', end.stoppedBy);
    } else if (cut && shuttingDown) {
      record.cancelledBy = 'shutdown';
      await finish('cancelled', 'stopped between nodes: the bot was shut down');
    } else {
      await finish(failed || end.stoppedBy !== undefined ? 'failed' : 'passed', end.stoppedBy);
    }
  };

  const done = run().catch(async (error: unknown) => {
    deps.logger.error({ err: error, apply: record.id }, 'apply crashed');
    await finish('failed', `stopped by an error in the bot: ${errorMrkdwn(error)}`);
  });

  return {
    record,
    cancel: (user) => {
      cancelledBy ??= user;
      record.cancelledBy = cancelledBy;
      record.cancelledAt = clock.now();
      changed();
    },
    stopTaking: () => {
      shuttingDown = true;
    },
    async interrupt() {
      const running = record.stages
        .flatMap((stage) => stage.nodes)
        .filter((result) => result.status === 'running');
      for (const result of running) result.status = 'interrupted';
      for (const stage of record.stages) {
        for (const result of stage.nodes)
          if (result.status === 'pending') Object.assign(result, { status: 'not_run', error: SHUTDOWN });
        if (stage.status === 'pending') stage.status = 'not_run';
        if (stage.status === 'running') stage.status = 'stopped';
      }
      const names = escapeText(running.map((result) => result.node).join(', '));
      await finish(
        'interrupted',
        `the bot shut down while ${names || 'nodes'} ${running.length === 1 ? 'was' : 'were'} being applied: ${running.length === 1 ? 'it' : 'they'} may be part-way (\`/heckler status\` shows what each runs)`,
      );
    },
    ended,
    done,
  };
};
