import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CommandOutcome, Metrics, RunMode } from '../../engine/ports/metrics.js';
import type { LockInfo } from '../../engine/ports/store.js';
import { bounded, lockKind, NODE_OUTCOMES, STORE_OPERATIONS } from './labels.js';

export interface PrometheusMetricsOptions {
  /** Names that may appear as the `command` label; anything else is `unknown`. */
  commands: readonly string[];
  /** Nodes from heckler.yml; a name not among them is `other`. */
  nodes: readonly string[];
  /** Read when scraped: the locks held now (the store is the truth, across replicas). */
  locks?: () => Promise<LockInfo[]>;
  /** Read when scraped: builds waiting for a runner. */
  buildQueueLength?: () => Promise<number>;
  /** The process metrics prom-client collects (CPU, memory, event loop lag); on by default. */
  processMetrics?: boolean;
}

export interface PrometheusMetrics extends Metrics {
  readonly registry: Registry;
  /** The registry in Prometheus's text format. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

const COMMAND_OUTCOMES: readonly CommandOutcome[] = [
  'ok',
  'usage',
  'denied',
  'rate_limited',
  'refused',
  'error',
];
const DECISIONS = ['approve', 'deny', 'auto_approve', 'void'] as const;
const APPLY_ENDS = ['passed', 'failed', 'cancelled', 'interrupted', 'expired'] as const;
const MODES: readonly RunMode[] = ['noop', 'apply'];

/** Slack wants the ack within 3 s: the buckets are dense below that. */
const ACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5];
/** A node's run: a second or two for a small catalog, minutes for a big one. */
const RUN_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800];
const WAIT_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * A gauge read from the store: when the store is down the gauge has no value (and /readyz says
 * why), but the scrape still answers with every counter — an outage is when they matter most.
 */
const readOrNothing = async <T>(read: (() => Promise<T>) | undefined): Promise<T | undefined> => {
  try {
    return await read?.();
  } catch {
    return undefined;
  }
};

/**
 * The Metrics port over prom-client, in a registry of its own (no global default registry, so two
 * bots in one test process never share counters). Label values are checked against known sets.
 */
export const createPrometheusMetrics = (options: PrometheusMetricsOptions): PrometheusMetrics => {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics !== false)
    collectDefaultMetrics({ register: registry, prefix: 'heckler_process_' });
  const commandNames = [...options.commands, 'unknown'];
  const nodeNames = [...options.nodes, 'other'];

  const commands = new Counter({
    name: 'heckler_commands_total',
    help: 'Commands handled, by command name and outcome',
    labelNames: ['command', 'outcome'] as const,
    registers,
  });
  const ack = new Histogram({
    name: 'heckler_ack_latency_seconds',
    help: 'From a Slack request arriving to the answer that acknowledges it',
    buckets: ACK_BUCKETS,
    registers,
  });
  const runSeconds = new Histogram({
    name: 'heckler_node_run_seconds',
    help: 'Duration of one node run (code sync and Puppet), by node and mode',
    labelNames: ['node', 'mode'] as const,
    buckets: RUN_BUCKETS,
    registers,
  });
  const runs = new Counter({
    name: 'heckler_node_runs_total',
    help: 'Node runs by mode and outcome (unchanged, changes, failed, compile_error, timed_out, unreachable)',
    labelNames: ['mode', 'outcome'] as const,
    registers,
  });
  const decisions = new Counter({
    name: 'heckler_review_decisions_total',
    help: 'Review decisions recorded: approve, deny, auto_approve, void',
    labelNames: ['decision'] as const,
    registers,
  });
  const applies = new Counter({
    name: 'heckler_applies_total',
    help: 'Applies that ended, by status',
    labelNames: ['status'] as const,
    registers,
  });
  const buildWait = new Histogram({
    name: 'heckler_build_wait_seconds',
    help: 'How long a build waited in the queue for a runner',
    buckets: WAIT_BUCKETS,
    registers,
  });
  const storeErrors = new Counter({
    name: 'heckler_store_errors_total',
    help: 'Failed store and lock operations, by namespace and operation',
    labelNames: ['namespace', 'operation'] as const,
    registers,
  });
  new Gauge({
    name: 'heckler_build_queue_length',
    help: 'Builds waiting for a runner',
    registers,
    async collect() {
      if (!options.buildQueueLength) return;
      // Unknown is NaN, not 0: an empty queue and an unreadable one must not look alike.
      this.set((await readOrNothing(options.buildQueueLength)) ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'heckler_locks_held',
    help: 'Locks held in the store now, by kind (node, leader, run, …)',
    labelNames: ['kind'] as const,
    registers,
    async collect() {
      this.reset();
      const held = await readOrNothing(options.locks);
      if (!held) return;
      const byKind = new Map<string, number>();
      for (const lock of held) byKind.set(lockKind(lock.key), (byKind.get(lockKind(lock.key)) ?? 0) + 1);
      for (const [kind, count] of byKind) this.set({ kind }, count);
    },
  });

  // Known series start at zero, so a rate() over them works from the first scrape.
  for (const command of options.commands) commands.inc({ command, outcome: 'ok' }, 0);
  for (const decision of DECISIONS) decisions.inc({ decision }, 0);
  for (const status of APPLY_ENDS) applies.inc({ status }, 0);

  return {
    registry,
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    commandHandled(command, outcome) {
      commands.inc({
        command: bounded(command, commandNames, 'unknown'),
        outcome: bounded(outcome, COMMAND_OUTCOMES, 'error'),
      });
    },
    ackSent(ms) {
      ack.observe(ms / 1000);
    },
    nodeRun(node, mode, outcome, ms) {
      const safeMode = bounded(mode, MODES, 'noop');
      runSeconds.observe({ node: bounded(node, nodeNames, 'other'), mode: safeMode }, ms / 1000);
      runs.inc({ mode: safeMode, outcome: bounded(outcome, NODE_OUTCOMES, 'failed') });
    },
    reviewDecision(action) {
      if ((DECISIONS as readonly string[]).includes(action)) decisions.inc({ decision: action });
    },
    applyFinished(status) {
      if ((APPLY_ENDS as readonly string[]).includes(status)) applies.inc({ status });
    },
    buildStarted(waitMs) {
      buildWait.observe(Math.max(0, waitMs) / 1000);
    },
    storeError(namespace, operation) {
      storeErrors.inc({
        namespace: /^[a-z0-9_-]{1,64}$/i.test(namespace) ? namespace : 'other',
        operation: bounded(operation, STORE_OPERATIONS, 'other'),
      });
    },
  };
};
