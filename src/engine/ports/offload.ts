import type { StoredChange } from '../changes/hash.js';
import type { GroupedDelta, IgnoreRule } from '../delta/group.js';
import type { HashedDelta } from '../delta/hashed.js';
import type { NodeDelta } from '../delta/subtract.js';

/**
 * Heavy pure work taken off the thread that answers chat. The bot gives a pool of worker threads
 * (src/adapters/workers); without one (unit tests, a caller that does not care) the engine runs
 * the same pure functions inline. Either way the result is the same value.
 */
export interface Offload {
  /** `groupDeltas(deltas, options)` (src/engine/delta/group.ts), elsewhere. */
  groupDeltas(
    deltas: readonly NodeDelta[],
    options: { ignored: readonly IgnoreRule[] },
  ): Promise<GroupedDelta>;
  /** `groupHashed(deltas, bodies, options)` (src/engine/delta/group-hashed.ts), elsewhere. */
  groupHashed(
    deltas: readonly HashedDelta[],
    bodies: ReadonlyMap<string, StoredChange>,
    options: { ignored: readonly IgnoreRule[] },
  ): Promise<GroupedDelta>;
}

/**
 * Resolves on the event loop's next turn, after the I/O already waiting (Slack's requests among
 * it): a long loop that awaits this between steps never holds an ack back for more than one step.
 */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
