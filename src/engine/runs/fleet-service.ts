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
  /** Set definitions by name (`all` is built in and not listed). */
  sets(): FleetConfig['sets'];
  select(selector: Selector): Promise<NodeSpec[]>;
  check(nodes: readonly NodeSpec[]): Promise<ExecResult[]>;
  /** Fetches, resolves `revision` (UNKNOWN_REVISION with suggestions), runs Puppet on every node. */
  run(revision: string, nodes: readonly NodeSpec[], mode: PuppetMode, by: string): Promise<RevisionRun>;
  /** Runs Puppet at an already resolved commit on every node; one result per node, in order. */
  runSha(sha: string, nodes: readonly NodeSpec[], mode: PuppetMode, by: string): Promise<NodeRun[]>;
  /** Reads each node's applied state from the node and refreshes the stored mirror. */
  applied(nodes: readonly NodeSpec[]): Promise<NodeOutcome<AppliedRead>[]>;
}

export const createFleetService = (deps: FleetServiceDeps): FleetService => {
  const installProcessor = createProcessorInstaller();
  // A node has one checkout: two runs on it at once (a noop and an apply, two reviews) must take turns.
  const nodeQueues = new Map<string, Promise<unknown>>();
  const onNode = <T>(node: string, work: () => Promise<T>): Promise<T> => {
    const previous = nodeQueues.get(node) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    nodeQueues.set(node, settled);
    void settled.then(() => {
      if (nodeQueues.get(node) === settled) nodeQueues.delete(node);
    });
    return next;
  };
  const context = { fleet: deps.fleet, runCommand: deps.runCommand };
  const concurrency = deps.fleet.ssh.concurrency;
  const unwrap = <T>(outcomes: NodeOutcome<T>[], onError: (node: string, error: unknown) => T): T[] =>
    outcomes.map((outcome) => (outcome.ok ? outcome.value : onError(outcome.node, outcome.error)));

  const service: FleetService = {
    nodes: () => nodeSpecs(deps.fleet),
    sets: () => deps.fleet.sets,
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
      const runs = await service.runSha(sha, nodes, mode, by);
      deps.logger.info(
        { revision, sha, mode, nodes: nodes.length, ms: deps.clock.now() - started },
        'puppet run finished',
      );
      return { revision, commit, mode, runs, durationMs: deps.clock.now() - started };
    },
    async runSha(sha, nodes, mode, by) {
      const runDeps = {
        repo: deps.repo,
        transport: deps.transport,
        puppet: deps.puppet,
        installProcessor,
        clock: deps.clock,
      };
      const outcomes = await onNodes(
        nodes,
        (node) => onNode(node.name, () => runPuppetOnNode(runDeps, node, sha, mode, by)),
        {
          concurrency,
        },
      );
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
      return runs;
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
  return service;
};
