import type { RunOutcome } from './outcome.js';

/** What the engine keeps of a Puppet run (normalize.ts builds it); grouping and delta math read it. */

export interface ResourceEvent {
  property: string;
  from: string | null;
  to: string | null;
}

/** One resource a run changed (or would change, or failed on): what reviewers read and grouping hashes. */
export interface ResourceChange {
  type: string;
  title: string;
  /** The nearest defined type around it, e.g. `Webapp::Vhost[main]`. */
  defineType?: string;
  /** Relative to the checkout: `modules/motd/manifests/init.pp`. */
  file?: string;
  line?: number;
  /** Sorted by property. */
  events: ResourceEvent[];
  /** The content diff, header timestamps and temp names removed. */
  diff?: string;
  /** It would trigger (or triggered) a refresh — a service restart, an exec: reviewers must see it. */
  refresh: boolean;
  failed: boolean;
  /** Skipped because something it depends on failed. */
  skipped: boolean;
  /** What else Puppet said about it (errors prefixed `Error: `, warnings `Warning: `). */
  logs: string[];
}

export interface EvaluationError {
  /** Without the node's name, paths relative to the checkout. */
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

export interface NormalizedReport {
  node: string;
  outcome: RunOutcome;
  configurationVersion: string | null;
  /** Sorted by `Type[title]`. */
  resources: ResourceChange[];
  evalErrors: EvaluationError[];
  /** Warnings and notices about no resource in particular (noise and refresh chatter dropped). */
  messages: string[];
  /** Why the run failed when Puppet's own errors do not say (no report, unreadable report…). */
  problem?: string;
}
