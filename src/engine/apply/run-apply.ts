import { setTimeout as sleep } from 'node:timers/promises';
import { errorMrkdwn } from '../errors.js';
import type { Clock, Logger, NodeSpec } from '../ports/index.js';
import { withExecSignal } from '../ports/transport.js';
import type { FleetService } from '../runs/fleet-service.js';
import { formatDuration } from '../text/duration.js';
import { escapeText, mention } from '../text/mrkdwn.js';
import type { HeldNodeLocks } from './held-locks.js';
import type { ApplyProgress } from './progress.js';
import type { ApplyRecord, ApplyStatus, SkippedNode } from './records.js';
import { type RolloutEnd, runRollout } from './rollout.js';

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
  /**
   * The grace period (`graceMs`) is over: kills Puppet on the nodes still running (their commands'
   * process groups), waits a bounded while for them to end, and ends the apply interrupted.
   */
  interrupt(graceMs: number): Promise<void>;
  /** The rollout has ended (every node it started has finished, or it was interrupted). */
  readonly ended: Promise<void>;
  /** Saved, locks released, message final, summary posted. */
  readonly done: Promise<void>;
}

const SHUTDOWN = 'the bot is shutting down';
/** After the kill, how long to wait for the nodes to report it; the transports do within their kill grace (6 s). */
const KILL_WAIT_MS = 10_000;

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
  let interrupting = false;
  let finished = false;
  // Aborted when the shutdown grace is over: every command of the node runs stops (their process groups are killed).
  const kill = new AbortController();
  const fleet: RunApplyDeps['fleet'] = {
    runOne: (sha, node, mode, by) =>
      withExecSignal(kill.signal, () => deps.fleet.runOne(sha, node, mode, by)),
  };
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

  const conclude = async (end: RolloutEnd) => {
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

  const startRollout = () => {
    if (lockedOut.length > 0) progress.reply({ kind: 'locked', skipped: [...lockedOut] });
    return runRollout(record, {
      fleet,
      specs: deps.specs,
      clock,
      concurrencyOf: deps.concurrencyOf,
      failureThreshold: deps.failureThreshold,
      stopReason,
      lockLost: (node) => held.lost(node),
      changed,
      // A node killed at shutdown is neither a failure nor the end of a stage: the interruption says what happened.
      nodeFailed: (stage, result) => {
        if (!finished && !interrupting) progress.reply({ kind: 'failure', stage, result });
      },
      stageEnded: (stage) => {
        if (!finished && !interrupting) progress.reply({ kind: 'stage', stage });
      },
    });
  };
  const rollout = startRollout();

  const run = async () => {
    const end = await rollout;
    // interrupt() ends the apply once it has killed what ran.
    if (!interrupting) await conclude(end);
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
    async interrupt(graceMs) {
      interrupting = true;
      const results = record.stages.flatMap((stage) => stage.nodes);
      const running = results.filter((result) => result.status === 'running');
      const notRunBefore = new Set(results.filter((result) => result.status === 'not_run'));
      kill.abort();
      // An error in the rollout is done's to report; here it only means the nodes are over.
      const end = await Promise.race([rollout, sleep(KILL_WAIT_MS, undefined, { ref: false })]).catch(
        () => undefined,
      );
      const grace = formatDuration(graceMs);
      // Whatever ended after the kill (failed, or not even confirmed) was cut short; a node that
      // finished as the grace ran out keeps its result.
      const killed = running.filter((result) => result.status !== 'ok');
      const unconfirmed = killed.filter((result) => result.status === 'running');
      for (const result of killed) {
        Object.assign(result, {
          status: 'interrupted',
          error: unconfirmed.includes(result)
            ? `the bot asked the node to kill Puppet at shutdown after the ${grace} grace, but it had not confirmed within ${formatDuration(KILL_WAIT_MS)}: it may still run`
            : `killed at shutdown after the ${grace} grace: it may be part-way`,
        });
      }
      if (killed.length === 0 && end !== undefined) return conclude(end);
      for (const stage of record.stages) {
        // Not run because of the shutdown, even where the rollout counted a killed node as a failure.
        for (const result of stage.nodes)
          if (result.status === 'pending' || (result.status === 'not_run' && !notRunBefore.has(result)))
            Object.assign(result, { status: 'not_run', error: SHUTDOWN });
        if (stage.status === 'pending') stage.status = 'not_run';
        // A stage may have ended (as 'done') once its killed nodes reported back.
        if (stage.status === 'running' || stage.nodes.some((result) => killed.includes(result)))
          stage.status = 'stopped';
      }
      const names = escapeText(killed.map((result) => result.node).join(', '));
      const one = killed.length === 1;
      await finish(
        'interrupted',
        `the bot shut down while ${names || 'nodes'} ${one ? 'was' : 'were'} being applied: Puppet there was killed after the ${grace} grace, so ${one ? 'it' : 'they'} may be part-way${unconfirmed.length > 0 ? ' (or still running, where the node did not confirm the kill)' : ''} (\`/heckler status\` shows what each runs)`,
      );
    },
    ended,
    done,
  };
};
