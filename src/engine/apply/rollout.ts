import { errorMrkdwn } from '../errors.js';
import type { Clock, NodeSpec } from '../ports/index.js';
import type { NormalizedReport } from '../puppet/index.js';
import type { FleetService } from '../runs/fleet-service.js';
import type { NodeRun } from '../runs/puppet-on-node.js';
import { escapeText } from '../text/mrkdwn.js';
import type { ApplyRecord, NodeResult, StageRecord } from './records.js';

export interface RolloutOptions {
  fleet: Pick<FleetService, 'runOne'>;
  specs: ReadonlyMap<string, NodeSpec>;
  clock: Clock;
  /** Nodes at once within a set. */
  concurrencyOf(stage: string): number;
  /** Failures a set may have; one more and no further node starts. */
  failureThreshold: number;
  /** Why no further node may start (a cancel, a shutdown), if so; checked before each node. */
  stopReason(): string | undefined;
  /** Why this node's lock is no longer ours, if so: it is skipped. */
  lockLost(node: string): string | undefined;
  /** The record changed (a node started or ended): save it and refresh the status message. */
  changed(): void;
  nodeFailed(stage: StageRecord, result: NodeResult): void;
  stageEnded(stage: StageRecord): void;
}

/** Why the rollout stopped early (the threshold, a cancel, a shutdown), or undefined when it ran to the end. */
export type RolloutEnd = { stoppedBy?: string };

const FAILED_OUTCOMES = new Set(['failed', 'compile_error', 'timed_out']);

/**
 * One line on why Puppet failed on a node: its first evaluation error, failed resource or problem.
 * Literal text (Puppet's words); `NodeResult.error` gets it escaped.
 */
export const failureText = (report: NormalizedReport): string => {
  const error = report.evalErrors[0];
  if (error)
    return `${error.message}${error.file ? ` (${error.file}${error.line ? `:${error.line}` : ''})` : ''}`;
  const failed = report.resources.find((resource) => resource.failed);
  if (failed) return `${failed.type}[${failed.title}] failed${failed.logs[0] ? `: ${failed.logs[0]}` : ''}`;
  if (report.outcome === 'timed_out') return report.problem ?? 'puppet did not finish in time';
  return report.problem ?? report.messages[0] ?? `puppet ended ${report.outcome}`;
};

const settle = (result: NodeResult, run: NodeRun) => {
  result.durationMs = run.durationMs;
  if (!run.reached) {
    result.status = 'failed';
    result.outcome = run.unreachable ? 'unreachable' : 'failed';
    result.error = escapeText(run.error);
    return;
  }
  const report = run.report;
  result.outcome = report.outcome;
  result.changes = report.resources.filter(
    (resource) => resource.events.length > 0 && !resource.failed,
  ).length;
  if (FAILED_OUTCOMES.has(report.outcome)) {
    result.status = 'failed';
    result.error = escapeText(failureText(report));
  } else {
    result.status = 'ok';
  }
};

/**
 * Applies the record's stages in order (DESIGN.md §3.6): within a stage at most its concurrency
 * at once; once a stage's failures exceed the threshold, or a stop is asked for, no further node
 * starts — in this stage or a later one — while nodes already running finish. Mutates the record.
 */
export const runRollout = async (record: ApplyRecord, options: RolloutOptions): Promise<RolloutEnd> => {
  const { clock } = options;
  let stoppedBy: string | undefined;
  for (const stage of record.stages) {
    const before = stoppedBy ?? options.stopReason();
    if (before !== undefined) {
      stage.status = 'not_run';
      for (const result of stage.nodes) Object.assign(result, { status: 'not_run', error: before });
      continue;
    }
    stage.status = 'running';
    stage.startedAt = clock.now();
    options.changed();
    let failures = 0;
    let halted: string | undefined;
    const queue = [...stage.nodes];
    const worker = async () => {
      for (let result = queue.shift(); result !== undefined; result = queue.shift()) {
        const why = halted ?? options.stopReason();
        if (why !== undefined) {
          Object.assign(result, { status: 'not_run', error: why });
          continue;
        }
        const lost = options.lockLost(result.node);
        const spec = options.specs.get(result.node);
        if (lost !== undefined || spec === undefined) {
          Object.assign(result, { status: 'skipped', error: lost ?? 'no longer in the inventory' });
          options.changed();
          continue;
        }
        result.status = 'running';
        result.startedAt = clock.now();
        options.changed();
        try {
          settle(
            result,
            await options.fleet.runOne(record.sha, spec, 'apply', record.confirmedBy ?? record.requestedBy),
          );
        } catch (error) {
          Object.assign(result, { status: 'failed', outcome: 'failed', error: errorMrkdwn(error) });
          result.durationMs = clock.now() - result.startedAt;
        }
        if ((result.status as NodeResult['status']) === 'failed') {
          failures += 1;
          options.nodeFailed(stage, result);
          if (failures > options.failureThreshold && halted === undefined)
            halted = `stopped after ${failures} failure${failures === 1 ? '' : 's'} in ${escapeText(stage.name)} (the threshold is ${options.failureThreshold})`;
        }
        options.changed();
      }
    };
    const workers = Math.max(1, Math.min(options.concurrencyOf(stage.name), stage.nodes.length));
    await Promise.all(Array.from({ length: workers }, worker));
    stage.finishedAt = clock.now();
    const cut = stage.nodes.some((result) => result.status === 'not_run');
    stage.status = cut ? 'stopped' : 'done';
    stoppedBy = halted ?? (cut ? options.stopReason() : undefined);
    options.stageEnded(stage);
    options.changed();
  }
  return stoppedBy === undefined ? {} : { stoppedBy };
};
