/**
 * What the bot counts and times, as the engine and the composition root report it. The Prometheus
 * adapter (src/adapters/metrics) implements it; `noMetrics` is the default where nothing is scraped.
 * Every label value must come from a small known set (command names, node names from config,
 * outcomes): never user text, SHAs or error text, which would make a series per request.
 */
export type CommandOutcome = 'ok' | 'usage' | 'denied' | 'rate_limited' | 'refused' | 'error';

export type RunMode = 'noop' | 'apply';

export interface Metrics {
  /** One command handled by the dispatcher; `command` is a registry name or `unknown`. */
  commandHandled(command: string, outcome: CommandOutcome): void;
  /** From the request's arrival to the 200 that acknowledges it (Slack's 3 s budget). */
  ackSent(ms: number): void;
  /** One node's Puppet run (code sync included): how long, and what came of it. */
  nodeRun(node: string, mode: RunMode, outcome: string, ms: number): void;
  /** A review decision as recorded in the audit log: approve, deny, auto_approve, void. */
  reviewDecision(action: string): void;
  /** An apply reached an end: passed, failed, cancelled, interrupted, expired. */
  applyFinished(status: string): void;
  /** A build left the queue for a runner after waiting `ms`. */
  buildStarted(waitMs: number): void;
  /** A store or lock operation failed (Redis down, a timeout): `namespace` is the record type. */
  storeError(namespace: string, operation: string): void;
}

const ignore = (): void => undefined;

export const noMetrics: Metrics = {
  commandHandled: ignore,
  ackSent: ignore,
  nodeRun: ignore,
  reviewDecision: ignore,
  applyFinished: ignore,
  buildStarted: ignore,
  storeError: ignore,
};
