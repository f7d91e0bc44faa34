import type { Metrics } from '../../engine/ports/metrics.js';
import type { FleetService } from '../../engine/runs/fleet-service.js';
import type { NodeRun } from '../../engine/runs/puppet-on-node.js';

/** Puppet's outcome when it ran; otherwise why it never did. */
export const runOutcome = (run: NodeRun): string =>
  run.reached ? run.report.outcome : run.unreachable ? 'unreachable' : 'failed';

/**
 * The fleet service, timed: every node run that goes through it is reported with its node, mode,
 * outcome and duration. `run`, `runSha` and `runOne` are each counted where they are called from
 * outside; the service's own calls between them do not pass through here, so nothing counts twice.
 */
export const instrumentFleet = (fleet: FleetService, metrics: Metrics): FleetService => {
  const report = (mode: 'noop' | 'apply', runs: readonly NodeRun[]) => {
    for (const run of runs) metrics.nodeRun(run.node, mode, runOutcome(run), run.durationMs);
  };
  return {
    ...fleet,
    async run(revision, nodes, mode, by) {
      const result = await fleet.run(revision, nodes, mode, by);
      report(mode, result.runs);
      return result;
    },
    async runSha(sha, nodes, mode, by) {
      const runs = await fleet.runSha(sha, nodes, mode, by);
      report(mode, runs);
      return runs;
    },
    async runOne(sha, node, mode, by) {
      const run = await fleet.runOne(sha, node, mode, by);
      report(mode, [run]);
      return run;
    },
  };
};
