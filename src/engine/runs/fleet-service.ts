import { errorText } from '../errors.js';
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
  Locks,
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
import { createRunLock, type RunLockOptions } from './run-lock.js';

export interface FleetServiceDeps {
  repo: CodeRepo;
  transport: NodeTransport;
  fleet: FleetConfig;
  puppet: PuppetCommandConfig;
  /** The bot's mirror of each node's applied state (the node itself is the source of truth). */
  applied: Store<AppliedState>;
  /** When each node was last nooped (for `/heckler status`); not kept when absent. */
  noops?: Store<LastNoop>;
  runCommand: CommandRunner;
  clock: Clock;
  logger: Logger;
  /**
   * The store's locks, for the node run lock (run-lock.ts) that keeps bots sharing one Redis off
   * each other's nodes; absent, runs on a node take turns in this process only (one bot).
   */
  locks?: Locks;
  /** Tunes the run lock (ttl, renewal, how long a run waits for another bot's). */
  runLock?: Omit<RunLockOptions, 'locks'>;
}

export interface RevisionRun {
  revision: string;
  commit: CommitInfo;
  mode: PuppetMode;
  runs: NodeRun[];
  durationMs: number;
}

/** A node's most recent noop that reached it. */
export interface LastNoop {
  /** Epoch milliseconds, when it finished. */
  at: number;
  sha: string;
  outcome: string;
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
  /** One node's run at a resolved commit (after any other run on that node), for progress per node. */
  runOne(sha: string, node: NodeSpec, mode: PuppetMode, by: string): Promise<NodeRun>;
  /** The node's last noop, when noops are recorded. */
  lastNoop(node: string): Promise<LastNoop | undefined>;
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
  const bundle = sharedBundles(deps.repo);
  const runDeps = {
    repo: { bundle, bundleOnGuess: guessedBundles(deps.repo, bundle) },
    transport: deps.transport,
    puppet: deps.puppet,
    installProcessor,
    clock: deps.clock,
    heads: new Map<string, string>(),
  };
  const withRunLock = deps.locks && createRunLock({ ...deps.runLock, locks: deps.locks }, deps.logger);
  const lockedRun = async (node: NodeSpec, sha: string, mode: PuppetMode, by: string): Promise<NodeRun> => {
    if (!withRunLock) return runPuppetOnNode(runDeps, node, sha, mode, by);
    const started = deps.clock.now();
    const locked = await withRunLock(node.name, `${mode} of ${sha.slice(0, 7)}`, () =>
      runPuppetOnNode(runDeps, node, sha, mode, by),
    );
    if (locked.ok) return locked.value;
    return {
      node: node.name,
      sha,
      reached: false,
      unreachable: false,
      // Literal text, as every NodeRun.error.
      error: `node busy: ${locked.busy} is running Puppet there on another bot; try again when it has finished`,
      durationMs: deps.clock.now() - started,
    };
  };
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
      const outcomes = await onNodes(nodes, (node) => service.runOne(sha, node, mode, by), {
        concurrency,
      });
      return unwrap<NodeRun>(outcomes, (node, error) => ({
        node,
        sha,
        reached: false,
        unreachable: false,
        // Literal text, as every NodeRun.error (views escape it).
        error: errorText(error),
        durationMs: 0,
      }));
    },
    async runOne(sha, node, mode, by) {
      const run = await onNode(node.name, () => lockedRun(node, sha, mode, by));
      // The node recorded what it runs; the mirror and the noop time are conveniences.
      try {
        if (run.reached && run.applied) await deps.applied.set(run.node, run.applied);
        if (run.reached && mode === 'noop')
          await deps.noops?.set(run.node, { at: deps.clock.now(), sha, outcome: run.report.outcome });
      } catch (error) {
        deps.logger.warn({ err: error, node: run.node }, 'could not store the run in the mirror');
      }
      return run;
    },
    lastNoop: async (node) => deps.noops?.get(node),
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

/** How long a made bundle is kept for other nodes asking for the same one. */
const BUNDLE_REUSE_MS = 60_000;

/**
 * Nodes that lack the same commit and have the same HEAD need the same bundle: make it once.
 * After a push that is every node, and a bundle per node (made one at a time in the mirror)
 * would be most of a fleet-wide noop's time.
 */
export const sharedBundles = (repo: Pick<CodeRepo, 'bundle'>) => {
  const made = new Map<string, Promise<Buffer>>();
  return (sha: string, haves: readonly string[]): Promise<Buffer> => {
    const key = `${sha}:${[...haves].sort().join(',')}`;
    const existing = made.get(key);
    if (existing) return existing;
    const bundle = repo.bundle(sha, haves);
    made.set(key, bundle);
    const forget = () => setTimeout(() => made.delete(key), BUNDLE_REUSE_MS).unref();
    bundle.then(forget, () => made.delete(key));
    return bundle;
  };
};

/**
 * The bundle for a node the bot believes is at `base`, only when `base` is an ancestor of `sha` (a
 * push): otherwise the node may already have `sha` (a rollback) or the mirror does not know `base`
 * and would make a full bundle, and the node's own answer is worth the wait. The check, like the
 * bundle, is made once per (commit, base) for the whole fleet.
 */
export const guessedBundles = (
  repo: Pick<CodeRepo, 'isAncestor'>,
  bundle: (sha: string, haves: readonly string[]) => Promise<Buffer>,
) => {
  const checked = new Map<string, Promise<boolean>>();
  return async (sha: string, base: string): Promise<Buffer | undefined> => {
    const key = `${sha}:${base}`;
    let ancestor = checked.get(key);
    if (!ancestor) {
      ancestor = repo.isAncestor(base, sha).catch(() => false);
      checked.set(key, ancestor);
      setTimeout(() => checked.delete(key), BUNDLE_REUSE_MS).unref();
    }
    return (await ancestor) ? bundle(sha, [base]) : undefined;
  };
};
