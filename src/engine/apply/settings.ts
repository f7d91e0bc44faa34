/**
 * What an apply is told by heckler.yml's `apply:` section (src/config/apply-schema.ts parses it
 * into this shape, durations in milliseconds). Declared here so the engine needs no config module.
 */
export interface ApplySettings {
  /** How long a plan's Confirm stays valid. */
  confirmTimeout: number;
  /** Nodes applied at once within a set: one number, or per set name (`default` for the rest). */
  concurrency: number | Readonly<Record<string, number>>;
  /** Failures a set may have; one more and no further node starts. */
  failureThreshold: number;
  /** Nodes locked by someone else at confirm time: skip them, abort, or skip at most this many. */
  lockedNodes: 'skip' | 'abort' | number;
  /** Expiry of the node locks an apply holds. */
  lockTtl: number;
  /** On SIGTERM: how long node applies already running may take to finish. */
  shutdownGrace: number;
  /** Every commit brought needs a passed build of its own (the build gate); --force overrides. */
  requireBuild?: boolean;
  /** Where plans, progress and summaries go; the chat channel when absent. */
  channel?: string | undefined;
}
