import type { StoredChange } from '../changes/hash.js';
import type { GroupedDelta, IgnoreRule } from '../delta/group.js';
import type { HashedDelta, HashedDeltaInput } from '../delta/hashed.js';
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
  /**
   * `hashedDeltaForNode` of each input (src/engine/delta/hashed.ts), elsewhere, in order. Optional:
   * without it each node's delta is made on the caller's thread, a turn each.
   */
  hashedDeltas?(inputs: readonly HashedDeltaInput[]): Promise<HashedDelta[]>;
  /**
   * Resolves when a long loop on the bot's thread may take its next step. The bot's pool waits
   * until every chat request that has arrived is acknowledged, so a burst of Slack requests is
   * served before background work goes on. Absent: the next turn of the event loop.
   */
  turn?(): Promise<void>;
}

/**
 * Resolves on the event loop's next turn, after the I/O already waiting (Slack's requests among
 * it): a long loop that awaits this between steps never holds an ack back for more than one step.
 */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The step-by-step pace of a loop that runs beside `offload`: its `turn`, else `nextTurn`. */
export const turnOf = (offload: Offload | undefined): (() => Promise<void>) => {
  const turn = offload?.turn?.bind(offload);
  return turn ?? nextTurn;
};
