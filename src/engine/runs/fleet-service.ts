import { type NodeOutcome, onNodes } from '../fleet/fanout.js';
import {
  type CommandRunner,
  type FleetConfig,
  nodeSpecs,
  resolveSelector,
  type Selector,
} from '../fleet/inventory.js';
import type {
  Clock,
  CodeRepo,
  CommitInfo,
  ExecResult,
  Logger,
  NodeSpec,
  NodeTransport,
  Store,
} from '../ports/index.js';
import type { PuppetCommandConfig, PuppetMode } from '../puppet/index.js';
import { validateRevision } from '../repo/revision.js';
import { type AppliedRead, type AppliedState, readAppliedState } from './applied-state.js';
import { type NodeRun, runPuppetOnNode } from './puppet-on-node.js';
import { createProcessorInstaller } from './report-processor.js';

export interface FleetServiceDeps {
  repo: CodeRepo;
  transport: NodeTransport;
  fleet: FleetConfig;
  puppet: PuppetCommandConfig;
  /** The bot's mirror of each node's applied state (the node itself is the source of truth). */
  applied: Store<AppliedState>;
  runCommand: CommandRunner;
  clock: Clock;
  logger: Logger;
}

export interface RevisionRun {
  revision: string;
  commit: CommitInfo;
  mode: PuppetMode;
  runs: NodeRun[];
  durationMs: number;
}

/** The Puppet fleet as commands see it: who is in it, and running Puppet across it. */
export interface FleetService {
  nodes(): NodeSpec[];
  select(selector: Selector): Promise<NodeSpec[]>;
  check(nodes: readonly NodeSpec[]): Promise<ExecResult[]>;
  /** Fetches, resolves `revision` (UNKNOWN_REVISION with suggestions), runs Puppet on every node. */
  run(revision: string, nodes: readonly NodeSpec[], mode: PuppetMode, by: string): Promise<RevisionRun>;
  /** Reads each node's applied state from the node and refreshes the stored mirror. */
  applied(nodes: readonly NodeSpec[]): Promise<NodeOutcome<AppliedRead>[]>;
}

export const createFleetService = (deps: FleetServiceDeps): FleetService => {
  const installProcessor = createProcessorInstaller();
  const context = { fleet: deps.fleet, runCommand: deps.runCommand };
  const concurrency = deps.fleet.ssh.concurrency;
  const unwrap = <T>(outcomes: NodeOutcome<T>[], onError: (node: string, error: unknown) => T): T[] =>
    outcomes.map((outcome) => (outcome.ok ? outcome.value : onError(outcome.node, outcome.error)));

  return {
    nodes: () => nodeSpecs(deps.fleet),
    select: (selector) => resolveSelector(selector, context),
    async check(nodes) {
      const outcomes = await onNodes(nodes, (node) => deps.transport.check(node), { concurrency });
      return unwrap(outcomes, (node, error) => ({
        node,
        status: 'unreachable',
        exitCode: null,
        stdout: '',
        stderr: '',
        durationMs: 0,
        error: String(error),
      }));
    },
    async run(revision, nodes, mode, by) {
      const started = deps.clock.now();
      await deps.repo.fetch();
      const sha = await deps.repo.resolve(validateRevision(revision));
      const commit = await deps.repo.commit(sha);
      const runDeps = {
        repo: deps.repo,
        transport: deps.transport,
        puppet: deps.puppet,
        installProcessor,
        clock: deps.clock,
      };
      const outcomes = await onNodes(nodes, (node) => runPuppetOnNode(runDeps, node, sha, mode, by), {
        concurrency,
      });
      const runs = unwrap<NodeRun>(outcomes, (node, error) => ({
        node,
        sha,
        reached: false,
        unreachable: false,
        error: error instanceof Error ? error.message : String(error),
        durationMs: 0,
      }));
      for (const run of runs) {
        if (run.reached && run.applied) await deps.applied.set(run.node, run.applied);
      }
      deps.logger.info(
        { revision, sha, mode, nodes: nodes.length, ms: deps.clock.now() - started },
        'puppet run finished',
      );
      return { revision, commit, mode, runs, durationMs: deps.clock.now() - started };
    },
    async applied(nodes) {
      const outcomes = await onNodes(nodes, (node) => readAppliedState(deps.transport, node), {
        concurrency,
      });
      for (const outcome of outcomes) {
        if (outcome.ok && outcome.value.ok && outcome.value.state)
          await deps.applied.set(outcome.node, outcome.value.state);
      }
      return outcomes;
    },
  };
};
