import type { NodeSpec } from '../ports/transport.js';

/** What happened on one node: its value, or the error it threw (never both). */
export type NodeOutcome<T> =
  | { node: string; ok: true; value: T }
  | { node: string; ok: false; error: unknown };

export interface FanoutOptions {
  /** At most this many nodes at once (the transport has its own, global cap too). */
  concurrency: number;
  /** Once aborted no further node starts; those nodes get an error outcome. */
  signal?: AbortSignal;
}

/**
 * Runs `fn` on every node, at most `concurrency` at a time, and returns one outcome per node in
 * the order of `nodes`. A node whose `fn` throws gets a failed outcome; the others carry on — one
 * broken node must never cost the report of the rest of the fleet.
 */
export const onNodes = async <T>(
  nodes: readonly NodeSpec[],
  fn: (node: NodeSpec, signal: AbortSignal | undefined) => Promise<T>,
  options: FanoutOptions,
): Promise<NodeOutcome<T>[]> => {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${options.concurrency}`);
  }
  const outcomes = new Array<NodeOutcome<T>>(nodes.length);
  let next = 0;
  const worker = async () => {
    while (next < nodes.length) {
      const index = next++;
      const node = nodes[index] as NodeSpec;
      if (options.signal?.aborted) {
        outcomes[index] = { node: node.name, ok: false, error: cancelled(options.signal) };
        continue;
      }
      try {
        outcomes[index] = { node: node.name, ok: true, value: await fn(node, options.signal) };
      } catch (error) {
        outcomes[index] = { node: node.name, ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, nodes.length) }, worker));
  return outcomes;
};

const cancelled = (signal: AbortSignal): Error =>
  signal.reason instanceof Error ? signal.reason : new Error('cancelled before this node started');
